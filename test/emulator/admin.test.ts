import { afterEach, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

const STATS = "/accounts/{account_id}/images/v1/stats";
const KEYS = "/accounts/{account_id}/images/v1/keys";
const IMAGE = "/accounts/{account_id}/images/v1/{image_id}";

let emulator: TestEmulator;
afterEach(() => emulator.close());

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}

async function bulk(count: number, extra: Record<string, unknown> = {}): Promise<string[]> {
  const response = await emulator.admin("POST", "/images", { count, ...extra });
  expect(response.status).toBe(200);
  return (await json<{ ids: string[] }>(response)).ids;
}

async function statsCurrent(): Promise<number> {
  return (await emulator.api<{ count: { current: number } }>("GET", "/v1/stats")).body.result.count.current;
}

describe("request counters and reset", () => {
  it("counts API and delivery requests per route template, but not admin requests", async () => {
    emulator = await startTestEmulator();
    const [id] = await bulk(1);
    await emulator.api("GET", `/v1/${id}`);
    await emulator.api("GET", `/v1/${id}`);
    await emulator.api("GET", "/v1/stats");
    await emulator.api("GET", "/v1/stats", { anonymous: true });
    await fetch(`${emulator.origin}/cdn/${emulator.accountHash}/${id}/public`);
    expect(await emulator.counts()).toEqual({
      [`GET ${IMAGE}`]: 2,
      [`GET ${STATS}`]: 2,
      "GET /cdn/{account_hash}/{path+}": 1,
    });
  });

  it("reset clears the counters and keeps the data; reset with data restores the start snapshot", async () => {
    emulator = await startTestEmulator();
    await bulk(2);
    await emulator.api("PUT", "/v1/keys/extra");
    await emulator.reset();
    expect(await emulator.counts()).toEqual({});
    expect(await statsCurrent()).toBe(2);

    await emulator.reset({ data: true });
    expect(await statsCurrent()).toBe(0);
    const keys = await emulator.api<{ keys: { name: string }[] }>("GET", "/v1/keys");
    expect(keys.body.result.keys.map((k) => k.name)).toEqual(["default"]);
  });

  it("reset with data brings back deleted and changed seeded images with their bytes", async () => {
    emulator = await startTestEmulator({ seed: true });
    type Listed = { id: string; requireSignedURLs: boolean; variants: string[] };
    const listed = await emulator.api<{ images: Listed[] }>("GET", "/v2?per_page=100");
    const images = listed.body.result.images;
    const [deleted, changed] = images.filter((image) => !image.requireSignedURLs) as [Listed, Listed];
    const url = deleted.variants.find((u) => u.endsWith("/public")) as string;
    const before = await fetch(url);
    expect(before.status).toBe(200);
    const bytes = await before.arrayBuffer();

    const patched = await emulator.api("PATCH", `/v1/${changed.id}`, { json: { metadata: { changed: true } } });
    expect(patched.status).toBe(200);
    expect((await emulator.api("DELETE", `/v1/${deleted.id}`)).status).toBe(200);
    expect((await fetch(url)).status).toBe(404);

    await emulator.reset({ data: true });
    const again = await emulator.api<{ images: Listed[] }>("GET", "/v2?per_page=100");
    expect(again.body.result.images).toEqual(images);
    const restored = await fetch(url);
    expect(restored.status).toBe(200);
    expect(await restored.arrayBuffer()).toEqual(bytes);
  });

  it.each([
    ["data as text", { data: "yes" }],
    ["an array", [1]],
  ])("refuses a reset with %s with 400", async (_case, body) => {
    emulator = await startTestEmulator();
    const response = await emulator.admin("POST", "/reset", body);
    expect(response.status).toBe(400);
    expect((await json<{ errors: { message: string }[] }>(response)).errors[0]?.message).toMatch(/^Admin: /);
  });

  it("answers unknown admin routes with 404", async () => {
    emulator = await startTestEmulator();
    expect((await emulator.admin("GET", "/nothing")).status).toBe(404);
    expect((await emulator.admin("DELETE", "/requests")).status).toBe(404);
  });
});

describe("injected latency", () => {
  it("delays every request by a fixed latency until reset", async () => {
    emulator = await startTestEmulator();
    expect((await emulator.admin("POST", "/latency", { ms: 150 })).status).toBe(200);
    const started = performance.now();
    await emulator.api("GET", "/v1/keys");
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);

    await emulator.admin("POST", "/latency", { ms: 5_000 });
    await emulator.reset();
    const answer = await fetch(`${emulator.baseUrl}/accounts/${emulator.accountId}/images/v1/keys`, {
      headers: { authorization: `Bearer ${emulator.token}` },
      signal: AbortSignal.timeout(2_500),
    });
    expect(answer.status).toBe(200);
  });

  it("delays only the chosen route (and method)", async () => {
    emulator = await startTestEmulator();
    expect((await emulator.admin("POST", "/latency", { ms: 3_000, route: STATS })).status).toBe(200);
    expect((await emulator.admin("POST", "/latency", { ms: 200, method: "GET", route: KEYS })).status).toBe(200);
    const order: string[] = [];
    const slow = emulator.api("GET", "/v1/stats").then(() => order.push("stats"));
    const started = performance.now();
    await emulator.api("GET", "/v1/keys").then(() => order.push("keys"));
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    await emulator.api("PUT", "/v1/keys/undelayed").then(() => order.push("put"));
    expect(order).toEqual(["keys", "put"]);
    await slow;
    expect(order).toEqual(["keys", "put", "stats"]);
  });

  it.each([
    ["no ms", {}],
    ["a negative ms", { ms: -1 }],
    ["ms over a minute", { ms: 60_001 }],
    ["a method without a route", { ms: 10, method: "GET" }],
    ["a route without a leading slash", { ms: 10, route: "v1/stats" }],
  ])("refuses %s with 400", async (_case, body) => {
    emulator = await startTestEmulator();
    expect((await emulator.admin("POST", "/latency", body)).status).toBe(400);
  });
});

describe("injected faults", () => {
  it("fails the next N matching requests, then answers normally", async () => {
    emulator = await startTestEmulator();
    const response = await emulator.admin("POST", "/faults", { route: STATS, count: 2, status: 503 });
    expect(response.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const failed = await emulator.api("GET", "/v1/stats");
      expect(failed.status).toBe(503);
      expect(failed.body).toMatchObject({ success: false, result: null });
    }
    expect((await emulator.api("GET", "/v1/keys")).status).toBe(200);
    expect((await emulator.api("GET", "/v1/stats")).status).toBe(200);
    expect((await emulator.counts())[`GET ${STATS}`]).toBe(3);
  });

  it("answers 429 with Retry-After and chosen errors", async () => {
    emulator = await startTestEmulator();
    await emulator.admin("POST", "/faults", {
      method: "GET",
      route: KEYS,
      status: 429,
      retryAfter: 7,
      errors: [{ code: 10013, message: "slow down" }],
    });
    expect((await emulator.api("PUT", "/v1/keys/other")).status).toBe(200);
    const limited = await emulator.api("GET", "/v1/keys");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(limited.body.errors).toEqual([{ code: 10013, message: "slow down" }]);
  });

  it("drops the connection so fetch rejects, and accepts a list of faults", async () => {
    emulator = await startTestEmulator();
    const [id] = await bulk(1);
    await emulator.admin("POST", "/faults", [
      { route: STATS, drop: true },
      { route: "/cdn/{account_hash}/{path+}", status: 500 },
    ]);
    await expect(emulator.api("GET", "/v1/stats")).rejects.toThrow();
    expect((await emulator.api("GET", "/v1/stats")).status).toBe(200);
    const url = `${emulator.origin}/cdn/${emulator.accountHash}/${id}/public`;
    expect((await fetch(url)).status).toBe(500);
    expect((await fetch(url)).status).toBe(200);
  });

  it("reset removes pending faults", async () => {
    emulator = await startTestEmulator();
    await emulator.admin("POST", "/faults", { count: 5, status: 500 });
    await emulator.reset();
    expect((await emulator.api("GET", "/v1/stats")).status).toBe(200);
  });

  it.each([
    ["a success status", { status: 200 }],
    ["a zero count", { count: 0 }],
    ["a fractional count", { count: 1.5 }],
    ["errors without a code", { errors: [{ message: "x" }] }],
    ["empty errors", { errors: [] }],
    ["drop as text", { drop: "true" }],
    ["a negative retryAfter", { retryAfter: -1 }],
    ["an empty list", []],
    ["a list with a bad item", [{ count: 1 }, { status: "500" }]],
  ])("refuses a fault with %s with 400 and injects nothing", async (_case, body) => {
    emulator = await startTestEmulator();
    expect((await emulator.admin("POST", "/faults", body)).status).toBe(400);
    expect((await emulator.api("GET", "/v1/stats")).status).toBe(200);
  });

  it("refuses a body that is not JSON with 400", async () => {
    emulator = await startTestEmulator();
    const response = await fetch(`${emulator.origin}/__emulator/faults`, { method: "POST", body: "{oops" });
    expect(response.status).toBe(400);
  });
});

describe("bulk image creation", () => {
  it("creates real images with the given creator, metadata and access", async () => {
    emulator = await startTestEmulator();
    const ids = await bulk(3, { creator: "loader", meta: { batch: 1 }, requireSignedURLs: true });
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) {
      const image = await emulator.api<Record<string, unknown>>("GET", `/v1/${id}`);
      expect(image.body.result).toMatchObject({ id, creator: "loader", meta: { batch: 1 }, requireSignedURLs: true });
      const blob = await fetch(`${emulator.baseUrl}/accounts/${emulator.accountId}/images/v1/${id}/blob`, {
        headers: { authorization: `Bearer ${emulator.token}` },
      });
      expect(blob.headers.get("content-type")).toBe("image/png");
      expect(new Uint8Array(await blob.arrayBuffer()).subarray(1, 4)).toEqual(new TextEncoder().encode("PNG"));
    }
    const listed = await emulator.api<{ images: { id: string }[] }>("GET", "/v2?sort_order=asc");
    expect(listed.body.result.images.map((i) => i.id)).toEqual(ids);
  });

  it("creates ten thousand images in one call", async () => {
    emulator = await startTestEmulator();
    expect(await bulk(10_000)).toHaveLength(10_000);
    expect(await statsCurrent()).toBe(10_000);
    expect(await emulator.counts()).toEqual({ [`GET ${STATS}`]: 1 });
  });

  it.each([
    ["no count", {}],
    ["a zero count", { count: 0 }],
    ["more than 10000", { count: 10_001 }],
    ["a numeric creator", { count: 1, creator: 5 }],
    ["a creator over 1024 characters", { count: 1, creator: "c".repeat(1025) }],
    ["meta as an array", { count: 1, meta: [] }],
    ["meta over 1024 bytes", { count: 1, meta: { text: "x".repeat(1024) } }],
    ["requireSignedURLs as text", { count: 1, requireSignedURLs: "true" }],
  ])("refuses %s with 400 and creates nothing", async (_case, body) => {
    emulator = await startTestEmulator();
    expect((await emulator.admin("POST", "/images", body)).status).toBe(400);
    expect(await statsCurrent()).toBe(0);
  });
});
