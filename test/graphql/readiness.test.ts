import { afterEach, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../support/server.ts";

const STATS = "GET /accounts/{account_id}/images/v1/stats";

let stack: TestStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function probe(s: TestStack, path = "/readiness") {
  const response = await fetch(new URL(path, s.server.url));
  return { status: response.status, text: await response.text() };
}

describe("/health and /readiness", () => {
  it("are both OK when the upstream accepts the token; readiness probes share one upstream call", async () => {
    stack = await startTestStack();
    expect((await probe(stack, "/health")).status).toBe(200);
    const ready = await probe(stack);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: "ready" });
    await probe(stack);
    await probe(stack);
    expect((await stack.emulator.counts())[STATS]).toBe(1);
  });

  it("goes unready (503) when the upstream refuses the configured token, and does not repeat it", async () => {
    const wrongToken = "not-the-emulator-token-4711";
    stack = await startTestStack({ upstreamToken: wrongToken });
    const answer = await probe(stack);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toEqual({
      status: "unready",
      reason: "the upstream refused the configured token (HTTP 403)",
    });
    expect(answer.text).not.toContain(wrongToken);
    expect((await stack.emulator.counts())[STATS]).toBe(1);
    // The process is alive all the same: the orchestrator should not restart it.
    expect((await probe(stack, "/health")).status).toBe(200);
  });

  it("goes unready when the upstream is unreachable", async () => {
    stack = await startTestStack({ upstreamBaseUrl: "http://127.0.0.1:9/client/v4", env: { UPSTREAM_RETRIES: "0" } });
    const answer = await probe(stack);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toMatchObject({ reason: "the upstream is unreachable" });
  });

  it("goes unready without calling the upstream once the request budget is spent", async () => {
    stack = await startTestStack({ env: { UPSTREAM_BUDGET: "2", READINESS_CACHE_SECONDS: "0" } });
    expect((await probe(stack)).status).toBe(200);
    expect((await stack.gql("{ stats { current } }")).errors).toBeUndefined();
    const answer = await probe(stack);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toEqual({ status: "unready", reason: "the upstream request budget is spent" });
    expect((await stack.emulator.counts())[STATS]).toBe(2);
  });

  it("comes back when the upstream recovers, once the cached verdict has expired", async () => {
    stack = await startTestStack({ env: { READINESS_CACHE_SECONDS: "0", UPSTREAM_RETRIES: "0" } });
    await stack.emulator.admin("POST", "/faults", {
      method: "GET",
      route: "/accounts/{account_id}/images/v1/stats",
      count: 1,
      status: 500,
    });
    const down = await probe(stack);
    expect(down.status).toBe(503);
    expect(JSON.parse(down.text)).toMatchObject({ reason: "the upstream answered HTTP 500" });
    expect((await probe(stack)).status).toBe(200);
  });
});
