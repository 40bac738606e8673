import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SharedBudget } from "../../src/upstream/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { redisCommand, startTestRedis, type TestRedis } from "../support/redis.ts";
import { closeReplicas, type Replica, startReplicas, upstreamStatuses } from "../support/replicas.ts";

const ALICE = "alice-secret-key-0123456789";
const BOB = "bob-secret-key-0123456789";
const digest = (secret: string) => createHash("sha256").update(secret).digest("hex");

let redis: TestRedis;
let emulator: TestEmulator | undefined;
let replicas: Replica[] = [];
let ids: string[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.close());
afterEach(async () => {
  await closeReplicas(replicas);
  replicas = [];
  await emulator?.close();
  emulator = undefined;
});

/** An emulator with a small real window, `count` images, and three replicas sharing one Redis. */
async function start(upstreamLimit: number, env: Record<string, string>, count = 150) {
  emulator = await startTestEmulator({
    rateLimit: { limit: upstreamLimit, windowSeconds: 60, blockSeconds: 60 },
  });
  const created = await emulator.admin("POST", "/images", { count });
  ids = ((await created.json()) as { ids: string[] }).ids;
  await emulator.reset();
  await redisCommand(redis.port, ["FLUSHALL"]);
  replicas = await startReplicas(emulator, 3, {
    REDIS_URL: redis.url,
    UPSTREAM_BATCH: "off",
    UPSTREAM_BUDGET_WINDOW_SECONDS: "60",
    UPSTREAM_REPLICAS: "3",
    ...env,
  });
  await waitUntilShared(replicas);
  return emulator;
}

async function waitUntilShared(all: readonly Replica[]): Promise<void> {
  await expect
    .poll(() => all.every((replica) => (replica.app.transport.budget as SharedBudget).shared), { timeout: 10_000 })
    .toBe(true);
}

interface Outcome {
  served: number;
  codes: string[];
  retryAfters: number[];
  statuses: number[];
}

/** Distinct image reads, five per request, spread over the replicas in turn (as a load balancer does). */
async function readAll(
  images: readonly string[],
  over: readonly Replica[],
  headers: Record<string, string> = {},
): Promise<Outcome> {
  const chunks = Array.from({ length: Math.ceil(images.length / 5) }, (_, i) => images.slice(i * 5, i * 5 + 5));
  const answers = await Promise.all(
    chunks.map((chunk, i) => {
      const replica = over[i % over.length] as Replica;
      const query = `{ ${chunk.map((id, j) => `i${j}: image(imageId: "${id}") { imageId }`).join(" ")} }`;
      return replica.gql<Record<string, { imageId: string } | null>>(query, {}, headers);
    }),
  );
  const errors = answers.flatMap((answer) => answer.errors ?? []);
  return {
    served: answers.reduce((sum, answer) => sum + Object.values(answer.data ?? {}).filter(Boolean).length, 0),
    codes: errors.map((error) => String(error.extensions?.code)),
    retryAfters: errors.map((error) => Number(error.extensions?.retryAfter)),
    statuses: answers.map((answer) => answer.status),
  };
}

describe("three replicas over one Redis", () => {
  it("share one budget: an over-budget load of distinct reads never makes the upstream answer 429", async () => {
    const upstream = await start(30, { UPSTREAM_BUDGET: "30", UPSTREAM_CALLER_SHARE: "1" });
    const outcome = await readAll(ids, replicas);
    // Each replica alone would allow 30: 90 in all, far past the upstream's 30.
    expect(outcome.served).toBe(30);
    expect(new Set(outcome.codes)).toEqual(new Set(["RATE_LIMITED"]));
    expect(outcome.retryAfters.every((seconds) => seconds > 0 && seconds <= 60)).toBe(true);
    expect(upstreamStatuses(replicas)).toEqual({ 200: 30 });
    expect((await upstream.counts())["GET /accounts/{account_id}/images/v1/{image_id}"]).toBe(30);
    // Redis holds counters under the account id, and nothing of a credential.
    const keys = (await redisCommand(redis.port, ["KEYS", "*"])) as string[];
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key.startsWith(`cf-images:budget:${upstream.accountId}`)).toBe(true);
      expect(key).not.toContain(upstream.token);
      expect(String(await redisCommand(redis.port, ["GET", key]))).not.toContain(upstream.token);
    }
  });

  it("are held to the upstream's Ratelimit header when it reports fewer calls left than their budget", async () => {
    // A budget set far above what the account really has: the header is what keeps the replicas in line.
    await start(20, { UPSTREAM_BUDGET: "1000", UPSTREAM_CALLER_SHARE: "1" });
    let served = 0;
    for (const [i, id] of ids.slice(0, 40).entries()) {
      const replica = replicas[i % replicas.length] as Replica;
      const answer = await replica.gql<{ image: { imageId: string } | null }>(
        `{ image(imageId: "${id}") { imageId } }`,
      );
      if (answer.data?.image) served += 1;
      else expect(answer.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    }
    expect(served).toBe(20);
    expect(upstreamStatuses(replicas)).toEqual({ 200: 20 });
  });

  it("share a 429's Retry-After: once one replica sees it, none calls until it has passed", async () => {
    const upstream = await start(1000, { UPSTREAM_BUDGET: "1000", UPSTREAM_CALLER_SHARE: "1" });
    await upstream.admin("POST", "/faults", {
      method: "GET",
      route: "/accounts/{account_id}/images/v1/{image_id}",
      status: 429,
      retryAfter: 30,
    });
    const [first] = replicas;
    const blocked = await first?.gql<unknown>(`{ image(imageId: "${ids[0]}") { imageId } }`);
    expect(blocked?.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfter: 30 });
    const others = await readAll(ids.slice(1, 31), replicas.slice(1));
    expect(others.served).toBe(0);
    expect(new Set(others.codes)).toEqual(new Set(["RATE_LIMITED"]));
    expect((await upstream.counts())["GET /accounts/{account_id}/images/v1/{image_id}"]).toBe(1);
  });

  it("give each caller at most its share: one key's flood leaves the other key served", async () => {
    const upstream = await start(60, {
      UPSTREAM_BUDGET: "40",
      UPSTREAM_CALLER_SHARE: "0.5",
      AUTH_MODE: "api-key",
      API_KEYS: `alice:${digest(ALICE)}:images:read,bob:${digest(BOB)}:images:read`,
    });
    const flood = await readAll(ids.slice(0, 100), replicas, { authorization: `Bearer ${ALICE}` });
    expect(flood.served).toBe(20);
    expect(new Set(flood.codes)).toEqual(new Set(["RATE_LIMITED"]));
    expect(flood.retryAfters.every((seconds) => seconds > 0)).toBe(true);
    const other = await readAll(ids.slice(100, 115), replicas, { authorization: `Bearer ${BOB}` });
    expect(other.served).toBe(15);
    expect(other.codes).toEqual([]);
    expect(upstreamStatuses(replicas)).toEqual({ 200: 35 });
    expect((await upstream.counts())["GET /accounts/{account_id}/images/v1/{image_id}"]).toBe(35);
  });

  it("fall back to their share while Redis is down, with no 5xx, and share again once it is back", async () => {
    await start(100, { UPSTREAM_BUDGET: "30", UPSTREAM_CALLER_SHARE: "1" });
    const before = await readAll(ids.slice(0, 5), replicas);
    expect(before.served).toBe(5);

    await redis.stop();
    await expect
      .poll(() => replicas.every((replica) => (replica.app.transport.budget as SharedBudget).degraded), {
        timeout: 10_000,
      })
      .toBe(true);
    replicas.forEach((replica) => {
      replica.events.length = 0;
    });
    const during = await readAll(ids.slice(5, 95), replicas);
    expect(during.statuses.every((status) => status === 200)).toBe(true);
    expect(new Set(during.codes)).toEqual(new Set(["RATE_LIMITED"]));
    // Each replica keeps to a third of the window (less its part of what it knew was used).
    for (const replica of replicas) {
      const served = replica.events.filter((event) => event.type === "response" && event.status === 200).length;
      expect(served).toBeGreaterThan(0);
      expect(served).toBeLessThanOrEqual(10);
    }
    expect(during.served).toBeLessThanOrEqual(30);

    await redis.start();
    await waitUntilShared(replicas);
    const after = await readAll(ids.slice(95, 100), replicas);
    expect(after.statuses.every((status) => status === 200)).toBe(true);
    expect(after.served).toBeGreaterThan(0);
    expect(upstreamStatuses(replicas)[429]).toBeUndefined();
  });
});
