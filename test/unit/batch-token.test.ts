import { describe, expect, it } from "vitest";
import { BatchTokenSource } from "../../src/upstream/batch-token.ts";
import { BatchWindow } from "../../src/upstream/batch-window.ts";

function source(answers: (() => unknown)[], clock: { now: number }) {
  let calls = 0;
  const tokens = new BatchTokenSource({
    now: () => clock.now,
    retryAfterFailureMs: 30_000,
    fetchToken: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)] as () => unknown;
      return answer();
    },
  });
  return tokens;
}

const issued = (token: string, expiresAt: number) => () => ({ token, expiresAt: new Date(expiresAt).toISOString() });

describe("BatchTokenSource", () => {
  it("fetches once for calls that need a token at the same time", async () => {
    const clock = { now: 0 };
    const tokens = source([issued("a", 1_000_000)], clock);
    expect(await Promise.all([tokens.token(), tokens.token(), tokens.token()])).toEqual(["a", "a", "a"]);
    expect(tokens.fetches).toBe(1);
  });

  it("renews in the background past four fifths of the lifetime, and stops using a token near its end", async () => {
    const clock = { now: 0 };
    const tokens = source([issued("a", 100_000), issued("b", 300_000)], clock);
    expect(await tokens.token()).toBe("a");
    clock.now = 79_000;
    expect(await tokens.token()).toBe("a");
    expect(tokens.fetches).toBe(1);
    clock.now = 81_000;
    // The renewal runs; this call is not kept waiting for it.
    expect(await tokens.token()).toBe("a");
    expect(tokens.fetches).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await tokens.token()).toBe("b");
  });

  it("answers no token after a failed fetch, and tries again only after the pause", async () => {
    const clock = { now: 0 };
    const tokens = source(
      [
        () => {
          throw new Error("refused");
        },
        () => ({ token: "" }),
        issued("c", 1_000_000),
      ],
      clock,
    );
    expect(await tokens.token()).toBeUndefined();
    clock.now = 29_000;
    expect(await tokens.token()).toBeUndefined();
    expect(tokens.fetches).toBe(1);
    clock.now = 31_000;
    // An answer without a token is a failure too.
    expect(await tokens.token()).toBeUndefined();
    clock.now = 62_000;
    expect(await tokens.token()).toBe("c");
    expect(tokens.fetches).toBe(3);
  });

  it("drops a refused token and fetches another for the next call", async () => {
    const clock = { now: 0 };
    const tokens = source([issued("a", 1_000_000), issued("b", 1_000_000)], clock);
    expect(await tokens.token()).toBe("a");
    tokens.refused("someone-else");
    expect(await tokens.token()).toBe("a");
    tokens.refused("a");
    expect(await tokens.token()).toBe("b");
  });
});

describe("BatchWindow", () => {
  it("lets `limit` calls through in a span, makes the next wait, and refuses one that would wait too long", async () => {
    const window = new BatchWindow({ limit: 3, spanMs: 200 });
    const signal = new AbortController().signal;
    const far = performance.now() + 10_000;
    for (let i = 0; i < 3; i++) expect(await window.take("t", far, signal)).toBe(true);
    expect(await window.take("t", performance.now() + 20, signal)).toBe(false);
    const started = performance.now();
    expect(await window.take("t", far, signal)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    // A new token starts with a new window.
    expect(await window.take("u", performance.now() + 20, signal)).toBe(true);
  });
});
