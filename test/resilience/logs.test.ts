import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { yogaLogger } from "../../src/logger.ts";
import { captureLogs } from "../support/logs.ts";
import { useTestStack } from "../support/server.ts";

const logs = captureLogs("trace");
const stack = useTestStack({ emulator: { seed: true }, logger: logs.logger, env: { MAX_BODY_BYTES: "2000" } });

async function send(init: { body: string; contentType: string; method?: string; path?: string }) {
  const response = await fetch(new URL(init.path ?? "/graphql", stack.server.url), {
    method: init.method ?? "POST",
    headers: { "content-type": init.contentType, accept: "application/graphql-response+json" },
    body: init.body,
  });
  return { status: response.status, text: await response.text() };
}

/** The lines written while `work` ran. */
async function linesOf(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const before = logs.lines().length;
  await work();
  // pino writes synchronously to our stream, but the request log follows the response.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return logs.lines().slice(before);
}

const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 };
const deep = `{ ${"images { edges { node { variants { variant { ".repeat(3)}name${" } } } } }".repeat(3)} }`;

describe("a client's mistake is one quiet line; a server fault is an error with its stack", () => {
  const mistakes: [string, () => Promise<{ status: number; text: string }>, string][] = [
    ["a CSRF refusal", () => send({ contentType: "text/plain", body: '{"query":"{ __typename }"}' }), "BAD_USER_INPUT"],
    [
      "a malformed JSON body",
      () => send({ contentType: "application/json", body: '{"query": "{ __typename' }),
      "BAD_USER_INPUT",
    ],
    ["a validation error", () => stack.gql("{ noSuchField }"), "BAD_USER_INPUT"],
    ["a syntax error", () => stack.gql("{ images( }"), "BAD_USER_INPUT"],
    ["a depth limit", () => stack.gql(deep), "BAD_USER_INPUT"],
    [
      "too many aliases",
      () =>
        stack.gql(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: image(imageId: "x") { imageId }`).join(" ")} }`),
      "BAD_USER_INPUT",
    ],
    [
      "a cost over MAX_COST",
      () => stack.gql("{ images(first: 10000) { edges { node { variants { variant { name } } } } } }"),
      "BAD_USER_INPUT",
    ],
    [
      "a body over MAX_BODY_BYTES",
      () =>
        send({ contentType: "application/json", body: JSON.stringify({ query: `{ __typename }${" ".repeat(3000)}` }) }),
      "BAD_USER_INPUT",
    ],
    [
      "bad variables",
      () => stack.gql("query($n: Int) { images(first: $n) { edges { cursor } } }", { n: "ten" }),
      "BAD_USER_INPUT",
    ],
  ];

  for (const [name, mistake, code] of mistakes) {
    it(`${name}: one line at info or below, with its code, no stack`, async () => {
      let answer: { status: number } | undefined;
      const lines = await linesOf(async () => {
        answer = await mistake();
      });
      expect(answer?.status).toBeLessThan(500);
      expect(lines, JSON.stringify(lines)).toHaveLength(1);
      const line = lines[0] as Record<string, unknown>;
      expect(line.level).toBeLessThanOrEqual(LEVEL.info);
      expect(JSON.stringify(line)).toContain(code);
      expect(JSON.stringify(line)).not.toMatch(/stack|\s+at /);
    });
  }
});

describe("a client that goes away", () => {
  it("writes no error line", async () => {
    await stack.emulator.admin("POST", "/latency", { ms: 300 });
    const lines = await linesOf(async () => {
      await expect(
        fetch(new URL("/graphql", stack.server.url), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: "{ images(first: 5) { edges { node { imageId } } } stats { current } }" }),
          signal: AbortSignal.timeout(100),
        }),
      ).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 600));
    });
    await stack.emulator.reset();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((line) => Number(line.level) > LEVEL.info)).toEqual([]);
    expect(JSON.stringify(lines)).not.toMatch(/stack/);
  });
});

describe("yoga's messages", () => {
  it("keep a server fault at error level, with its stack", () => {
    const captured = captureLogs("trace");
    const logger = yogaLogger(captured.logger);
    logger.error(new GraphQLError("Unexpected error.", { originalError: new TypeError("x is undefined") }));
    logger.error(new RangeError("out of range"));
    const lines = captured.lines();
    expect(lines.map((line) => line.level)).toEqual([LEVEL.error, LEVEL.error]);
    expect(lines.map((line) => (line.err as { stack?: string }).stack)).toEqual([
      expect.stringMatching(/\n\s+at /),
      expect.stringMatching(/RangeError: out of range\n\s+at /),
    ]);
  });
});
