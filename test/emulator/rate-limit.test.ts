import { afterEach, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

const START = Date.parse("2030-06-01T12:00:00Z");
let clock = START;
let emulator: TestEmulator;

afterEach(() => emulator.close());

async function startWithClock(options: Parameters<typeof startTestEmulator>[0] = {}): Promise<void> {
  clock = START;
  emulator = await startTestEmulator({ now: () => clock, ...options });
}

const stats = () => emulator.api("GET", "/v1/stats");

describe("rate limiting", () => {
  it("is off by default: no Ratelimit headers and no 429", async () => {
    await startWithClock();
    for (let i = 0; i < 20; i++) expect((await stats()).status).toBe(200);
    expect((await stats()).headers.get("ratelimit")).toBeNull();
  });

  it("answers the request past the limit with 429, Retry-After and Ratelimit headers, then blocks", async () => {
    await startWithClock();
    const enabled = await emulator.admin("POST", "/rate-limit", { limit: 5, windowSeconds: 60, blockSeconds: 120 });
    expect(enabled.status).toBe(200);

    for (let i = 1; i <= 5; i++) {
      const answer = await stats();
      expect(answer.status).toBe(200);
      expect(answer.headers.get("ratelimit")).toBe(`"default";r=${5 - i};t=60`);
      expect(answer.headers.get("ratelimit-policy")).toBe(`"default";q=5;w=60`);
    }
    const limited = await stats();
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false, result: null, errors: [{ code: 10013 }] });
    expect(limited.headers.get("retry-after")).toBe("120");
    expect(limited.headers.get("ratelimit")).toBe(`"default";r=0;t=60`);
    expect(limited.headers.get("ratelimit-policy")).toBe(`"default";q=5;w=60`);

    // The window has passed, but the block lasts its full time, for every route.
    clock += 90_000;
    const stillBlocked = await emulator.api("GET", "/v1/keys");
    expect(stillBlocked.status).toBe(429);
    expect(stillBlocked.headers.get("retry-after")).toBe("30");

    clock += 30_000;
    const after = await stats();
    expect(after.status).toBe(200);
    expect(after.headers.get("ratelimit")).toBe(`"default";r=4;t=60`);
  });

  it("counts refused requests too: they are still requests", async () => {
    await startWithClock({ rateLimit: { limit: 1, windowSeconds: 10, blockSeconds: 5 } });
    await stats();
    await stats();
    expect(await emulator.counts()).toEqual({ "GET /accounts/{account_id}/images/v1/stats": 2 });
  });

  it("starts a fresh window after windowSeconds", async () => {
    await startWithClock({ rateLimit: { limit: 2, windowSeconds: 10, blockSeconds: 60 } });
    expect((await stats()).status).toBe(200);
    expect((await stats()).status).toBe(200);
    clock += 10_000;
    expect((await stats()).status).toBe(200);
    expect((await stats()).status).toBe(200);
    expect((await stats()).status).toBe(429);
  });

  it("leaves delivery URLs alone: they are another host upstream", async () => {
    await startWithClock({ rateLimit: { limit: 1, windowSeconds: 60, blockSeconds: 60 } });
    const { ids } = (await (await emulator.admin("POST", "/images", { count: 1 })).json()) as { ids: string[] };
    await stats();
    expect((await stats()).status).toBe(429);
    const delivery = await fetch(`${emulator.origin}/cdn/${emulator.accountHash}/${ids[0]}/public`);
    expect(delivery.status).toBe(200);
    expect(delivery.headers.get("ratelimit")).toBeNull();
  });

  it("is turned off with {enabled: false}, on with the real limits with {enabled: true}, and reset restores the start", async () => {
    await startWithClock({ rateLimit: { limit: 1, windowSeconds: 60, blockSeconds: 60 } });
    await stats();
    expect((await stats()).status).toBe(429);

    expect((await emulator.admin("POST", "/rate-limit", { enabled: false })).status).toBe(200);
    expect((await stats()).status).toBe(200);
    expect((await stats()).headers.get("ratelimit")).toBeNull();

    const real = await emulator.admin("POST", "/rate-limit", { enabled: true });
    expect(await real.json()).toMatchObject({ rateLimit: { limit: 1200, windowSeconds: 300, blockSeconds: 300 } });
    expect((await stats()).headers.get("ratelimit-policy")).toBe(`"default";q=1200;w=300`);

    await emulator.reset();
    expect((await stats()).headers.get("ratelimit-policy")).toBe(`"default";q=1;w=60`);
    expect((await stats()).status).toBe(429);
  });

  it.each([
    ["no numbers", {}],
    ["a zero limit", { limit: 0, windowSeconds: 1, blockSeconds: 1 }],
    ["a missing blockSeconds", { limit: 1, windowSeconds: 1 }],
    ["enabled as text", { enabled: "no" }],
  ])("refuses a configuration with %s with 400", async (_case, body) => {
    await startWithClock();
    expect((await emulator.admin("POST", "/rate-limit", body)).status).toBe(400);
    expect((await stats()).headers.get("ratelimit")).toBeNull();
  });
});
