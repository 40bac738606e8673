import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { GRAPHIQL_DEFAULT_QUERY } from "../../src/graphiql.ts";
import { captureLogs } from "../support/logs.ts";
import { scrape, sumOf } from "../support/metrics.ts";
import { startTestStack, useTestStack } from "../support/server.ts";
import { subscribe } from "../support/sse.ts";

const TOKEN = `cf-token-${randomBytes(12).toString("hex")}`;
const CLIENT_SECRET = `client-secret-${randomBytes(12).toString("hex")}`;
const BUDGET = 500;

const logs = captureLogs("trace");
let keyValues: string[];

const stack = useTestStack({
  resetEmulatorBeforeEach: true,
  emulator: { seed: true, token: TOKEN },
  env: { UPSTREAM_BUDGET: String(BUDGET) },
  logger: logs.logger,
});
beforeAll(async () => {
  // A second signing key, so that more than one secret value is looked for.
  await stack.emulator.api("PUT", "/v1/keys/extra");
  const keys = await stack.emulator.api<{ keys: { name: string; value: string }[] }>("GET", "/v1/keys");
  keyValues = keys.body.result.keys.map((k) => k.value);
});

/** A GraphQL POST with a client credential in `Authorization`, which must not be logged either. */
async function post(query: string, operationName?: string) {
  const response = await fetch(new URL("/graphql", stack.server.url), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${CLIENT_SECRET}` },
    body: JSON.stringify({ query, operationName }),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: unknown[] } };
}

function requestLines(operationName: string) {
  return logs.lines().filter((line) => line.msg === "graphql request" && line.operationName === operationName);
}

describe("request logs", () => {
  it("writes one JSON line per operation with its name, duration, upstream calls and outcome", async () => {
    const answer = await post(GRAPHIQL_DEFAULT_QUERY);
    expect(answer.body.errors).toBeUndefined();
    const counts = await stack.emulator.counts();

    const lines = requestLines("NewestImages");
    expect(lines).toHaveLength(1);
    const line = lines[0] as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, operationType: "query", outcome: "ok", errorCodes: [] });
    expect(line.durationMs).toBeTypeOf("number");
    const upstream = line.upstream as { calls: number; routes: Record<string, number> };
    expect(upstream.calls).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
    expect(upstream.routes).toEqual(counts);
  });

  it("names a subscription's type in its line, as for queries and mutations", async () => {
    const [imageId] = await stack.emulator
      .api<{ images: { id: string }[] }>("GET", "/v2?per_page=10")
      .then((r) => r.body.result.images.map((image) => image.id));
    const subscription = await subscribe(
      stack.server.url,
      "subscription WatchReady($id: ID!) { imageReady(imageId: $id) { imageId } }",
      { id: imageId },
      { authorization: `Bearer ${CLIENT_SECRET}` },
    );
    expect(await subscription.next()).toMatchObject({ data: { imageReady: { imageId } } });
    subscription.abort();
    await expect.poll(() => requestLines("WatchReady")).toHaveLength(1);
    expect(requestLines("WatchReady")[0]).toMatchObject({ operationType: "subscription" });
  });

  it("records the outcome and error codes of a failing operation", async () => {
    await stack.emulator.admin("POST", "/faults", {
      method: "GET",
      route: "/accounts/{account_id}/images/v1/stats",
      count: 10,
      status: 500,
    });
    const answer = await post("query BrokenStats { stats { current } }");
    expect(answer.body.errors).toHaveLength(1);
    const line = requestLines("BrokenStats")[0];
    expect(line).toMatchObject({ outcome: "error", errorCodes: ["UPSTREAM_ERROR"] });
    // One call and its retries (UPSTREAM_RETRIES defaults to 2).
    expect(line?.upstream).toMatchObject({ calls: 3, retries: 2 });
  });
});

describe("/metrics", () => {
  it("counts upstream calls by route and status exactly as the upstream saw them", async () => {
    const before = (await scrape(stack.server.url)).samples;
    await post(GRAPHIQL_DEFAULT_QUERY);
    await post(`query Keys { signingKeys { name } }`);
    const counts = await stack.emulator.counts();
    const after = (await scrape(stack.server.url)).samples;

    expect(Object.keys(counts).length).toBeGreaterThanOrEqual(3);
    for (const [key, count] of Object.entries(counts)) {
      const [method, route] = key.split(" ") as [string, string];
      const delta =
        sumOf(after, "upstream_requests_total", { method, route, status: "200" }) -
        sumOf(before, "upstream_requests_total", { method, route, status: "200" });
      expect(delta, key).toBe(count);
      const timed =
        sumOf(after, "upstream_request_duration_seconds_count", { method, route }) -
        sumOf(before, "upstream_request_duration_seconds_count", { method, route });
      expect(timed, key).toBe(count);
    }
    const labels = { operation: "NewestImages", type: "query", outcome: "ok" };
    expect(sumOf(after, "graphql_requests_total", labels) - sumOf(before, "graphql_requests_total", labels)).toBe(1);
    expect(
      sumOf(after, "graphql_request_duration_seconds_count", labels) -
        sumOf(before, "graphql_request_duration_seconds_count", labels),
    ).toBe(1);
  });

  it("counts retries, failed statuses and error outcomes", async () => {
    const route = "/accounts/{account_id}/images/v1/variants";
    const before = (await scrape(stack.server.url)).samples;
    await stack.emulator.admin("POST", "/faults", { method: "GET", route, count: 1, status: 503 });
    const answer = await post("query Variants { variants { name } }");
    expect(answer.body.errors).toBeUndefined();
    const after = (await scrape(stack.server.url)).samples;
    const delta = (name: string, labels: Record<string, string>) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);

    expect(delta("upstream_requests_total", { route, status: "503" })).toBe(1);
    expect(delta("upstream_requests_total", { route, status: "200" })).toBe(1);
    expect(delta("upstream_retries_total", { method: "GET", route })).toBe(1);

    await stack.emulator.admin("POST", "/faults", { method: "GET", route, count: 3, status: 400 });
    await post("query Variants { variants { name } }");
    const failed = (await scrape(stack.server.url)).samples;
    expect(sumOf(failed, "graphql_requests_total", { operation: "Variants", outcome: "error" })).toBe(1);
    expect(sumOf(failed, "upstream_requests_total", { route, status: "400" })).toBe(1);
  });

  it("counts coalesced calls and loader cache hits, and shows the remaining budget", async () => {
    const before = (await scrape(stack.server.url)).samples;
    const ids = await stack.emulator.api<{ images: { id: string }[] }>("GET", "/v2?per_page=10");
    const id = ids.body.result.images[0]?.id as string;
    await stack.emulator.reset();
    // Two identical stats calls in flight at once share one upstream call; the second image and
    // key lookups are answered by the request's loaders.
    const answer = await post(`query Twice {
      a: stats { current } b: stats { current }
      x: image(imageId: "${id}") { filename } y: image(imageId: "${id}") { filename }
      k1: signingKeys { name } k2: signingKeys { name }
    }`);
    expect(answer.body.errors).toBeUndefined();
    const counts = await stack.emulator.counts();
    expect(counts["GET /accounts/{account_id}/images/v1/stats"]).toBe(1);
    const after = (await scrape(stack.server.url)).samples;
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);

    expect(delta("upstream_coalesced_total", { route: "/accounts/{account_id}/images/v1/stats" })).toBe(1);
    expect(delta("loader_cache_hits_total", { loader: "image" })).toBe(1);
    expect(delta("loader_cache_hits_total", { loader: "signingKeys" })).toBe(1);
    expect(requestLines("Twice")[0]).toMatchObject({ loaderCacheHits: 2, upstream: { coalesced: 1 } });

    // Every upstream call this server made (and nothing else) came out of the budget.
    const spent = sumOf(after, "upstream_requests_total");
    expect(sumOf(after, "upstream_budget_limit")).toBe(BUDGET);
    expect(sumOf(after, "upstream_budget_remaining")).toBe(BUDGET - spent);
  });

  it("bounds the operation label to names of documents that parsed and validated", async () => {
    await post("query Broken { nope }");
    await post("{ stats { current } }");
    const { samples } = await scrape(stack.server.url);
    expect(sumOf(samples, "graphql_requests_total", { operation: "Broken" })).toBe(0);
    expect(sumOf(samples, "graphql_requests_total", { operation: "invalid", outcome: "error" })).toBe(1);
    expect(sumOf(samples, "graphql_requests_total", { operation: "anonymous", outcome: "ok" })).toBe(1);
  });
});

describe("secrets", () => {
  it("never appear in logs or metrics, whatever the requests did", async () => {
    await post(GRAPHIQL_DEFAULT_QUERY);
    // Private images: their URLs are signed with the key values.
    await post(`query Signed { images(first: 50) { edges { node { url(expiresIn: 60) variants { url } } } } }`);
    await post(`query Keys { signingKeys { id name } }`);
    await post(`query Broken { image(imageId: "${TOKEN}") { nope } }`);
    await stack.emulator.admin("POST", "/faults", { method: "*", route: "*", count: 20, status: 500 });
    await post(`query Failing { signingKeys { name } stats { current } }`);
    await fetch(new URL("/readiness", stack.server.url), { headers: { authorization: `Bearer ${CLIENT_SECRET}` } });
    const metrics = (await scrape(stack.server.url)).text;

    expect(logs.lines().length).toBeGreaterThanOrEqual(5);
    expect(keyValues.length).toBeGreaterThanOrEqual(2);
    for (const secret of [TOKEN, CLIENT_SECRET, ...keyValues]) {
      expect(logs.text()).not.toContain(secret);
      expect(metrics).not.toContain(secret);
    }
    expect(logs.text()).not.toMatch(/authorization/i);
  });

  it("are censored by the logger even when an object carrying them is logged", () => {
    const captured = captureLogs("info");
    captured.logger.info({ headers: { authorization: `Bearer ${TOKEN}` }, token: TOKEN, key: { value: TOKEN } }, "x");
    captured.logger.child({ request: { authorization: TOKEN } }).info("y");
    expect(captured.text()).not.toContain(TOKEN);
    expect(captured.lines()[0]).toMatchObject({ headers: "[redacted]", token: "[redacted]" });
  });
});

describe("METRICS=false", () => {
  it("serves no /metrics", async () => {
    const quiet = await startTestStack({ env: { METRICS: "false" } });
    try {
      expect((await quiet.gql("{ stats { current } }")).errors).toBeUndefined();
      expect((await fetch(new URL("/metrics", quiet.server.url))).status).toBe(404);
    } finally {
      await quiet.close();
    }
  });
});
