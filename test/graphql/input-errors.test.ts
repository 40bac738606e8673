import { describe, expect, it } from "vitest";
import { type TransportEvent, UpstreamRequestError } from "../../src/upstream/index.ts";
import { type TestStack, useTestStack } from "../support/server.ts";
import { testTransport } from "../support/transport.ts";

const stack = useTestStack({ resetEmulatorBeforeEach: true, emulator: { seed: true } });

const LONE_SURROGATE = "\ud800";
const LONG_ID = "a".repeat(60_000);

/** Written out by hand: JSON.stringify itself overflows the stack on such depths. */
async function withNestedMetadata(levels: number) {
  const query = `mutation ($m: JSON) { updateImage(input: { imageId: "whatever", metadata: $m }) { __typename } }`;
  const body = `{"query":${JSON.stringify(query)},"variables":{"m":${'{"a":'.repeat(levels)}{}${"}".repeat(levels)}}}`;
  const response = await fetch(new URL("/graphql", stack.server.url), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    ...(JSON.parse(text) as Omit<Awaited<ReturnType<TestStack["gql"]>>, "status" | "text">),
  };
}

/** A typed input error, and not one upstream call. */
async function expectInputError(answer: Awaited<ReturnType<TestStack["gql"]>>) {
  const codes = (answer.errors ?? []).map((e) => e.extensions?.code);
  expect(codes.length).toBeGreaterThan(0);
  expect(codes.every((code) => code === "BAD_USER_INPUT")).toBe(true);
  expect(answer.status).toBeLessThan(500);
  expect(await stack.emulator.counts()).toEqual({});
}

describe("input errors are input errors, before any upstream call", () => {
  it("refuses a lone surrogate in an id, as a variable or written in the document", async () => {
    await expectInputError(
      await stack.gql(`query ($id: ID!) { image(imageId: $id) { imageId } }`, { id: LONE_SURROGATE }),
    );
    await expectInputError(await stack.gql(`{ image(imageId: "${LONE_SURROGATE}") { imageId } }`));
    await expectInputError(await stack.gql(`{ image(imageId: "\\ud800") { imageId } }`));
    const entities = await stack.gql(
      `query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }`,
      { r: [{ __typename: "Image", imageId: `x${LONE_SURROGATE}` }] },
      {},
      "/subgraph",
    );
    await expectInputError(entities);
  });

  it("refuses 5,000-level JSON metadata with a depth limit on JSON inputs", async () => {
    const answer = await withNestedMetadata(5000);
    await expectInputError(answer);
    expect(answer.errors?.[0]?.extensions?.limit).toBe("inputDepth");
    const literal = `${"{ a: ".repeat(40)}1${" }".repeat(40)}`;
    const written = await stack.gql(
      `mutation { updateImage(input: { imageId: "whatever", metadata: ${literal} }) { __typename } }`,
    );
    await expectInputError(written);
    expect(written.errors?.[0]?.extensions?.limit).toBe("inputDepth");
    const shallow = `${"{ a: ".repeat(5)}1${" }".repeat(5)}`;
    const fine = await stack.gql<{ updateImage: { __typename: string } }>(
      `mutation { updateImage(input: { imageId: "none-such", metadata: ${shallow} }) { __typename } }`,
    );
    expect(fine.data?.updateImage.__typename).toBe("NotFoundError");
  });

  it("refuses ids longer than the upstream accepts: reads, references, nodes and mutations", async () => {
    await expectInputError(await stack.gql(`query ($id: ID!) { image(imageId: $id) { imageId } }`, { id: LONG_ID }));
    const node = Buffer.from(`Image:${LONG_ID}`).toString("base64");
    await expectInputError(await stack.gql(`query ($id: ID!) { node(id: $id) { id } }`, { id: node }));
    const entities = await stack.gql(
      `query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }`,
      { r: [{ __typename: "Image", imageId: LONG_ID }] },
      {},
      "/subgraph",
    );
    await expectInputError(entities);
    const deleted = await stack.gql<{ deleteImage: { __typename: string; path: string[] } }>(
      `mutation ($id: ID!) { deleteImage(input: { imageId: $id }) { __typename ... on ValidationError { path } } }`,
      { id: LONG_ID },
    );
    expect(deleted.data?.deleteImage).toEqual({ __typename: "ValidationError", path: ["input", "imageId"] });
    expect(await stack.emulator.counts()).toEqual({});
  });
});

describe("the transport's retries", () => {
  it("never retries a 4xx, even one without the API's envelope (a 431 from the HTTP layer)", async () => {
    const events: TransportEvent[] = [];
    const transport = testTransport(stack.emulator.baseUrl, {
      retries: 2,
      budget: 100,
      onEvent: (event) => events.push(event),
    });
    try {
      const call = transport.json({
        method: "GET",
        route: "/accounts/{account_id}/images/v1/{image_id}",
        path: `/accounts/${stack.emulator.accountId}/images/v1/${LONG_ID}`,
        token: stack.emulator.token,
      });
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UpstreamRequestError);
      expect((error as UpstreamRequestError).status).toBe(431);
      expect(events.filter((e) => e.type === "retry")).toEqual([]);
      expect(events.filter((e) => e.type === "response")).toHaveLength(1);
    } finally {
      await transport.close();
    }
  });
});
