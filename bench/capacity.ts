// npm run bench -- capacity [--seconds <n>]: upstream capacity. Distinct image reads (no cache can
// help) through the facade with and without Cloudflare's batch host, under the real global limit
// (1,200 calls per 5 minutes); then three replicas flooding a small window, each with its own budget
// and then sharing one through Redis: how many 429s the upstream answered (goal 0).
import { parseArgs } from "node:util";
import type { RateLimitSpec } from "../src/emulator/control.ts";
import { startTestEmulator, type TestEmulator } from "../test/support/emulator.ts";
import { startTestRedis } from "../test/support/redis.ts";
import { closeReplicas, type Replica, startReplicas, upstreamStatuses } from "../test/support/replicas.ts";

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { seconds: { type: "string", default: "10" }, connections: { type: "string", default: "16" } },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);

interface Outcome {
  reads: number;
  rateLimited: number;
  otherErrors: number;
  upstream429: number;
  readsPerSecond: number;
}

/** Closed loop: `connections` clients, each asking for the next distinct image as soon as it has its answer. */
async function distinctReads(replicas: readonly Replica[], ids: readonly string[]): Promise<Outcome> {
  let next = 0;
  let reads = 0;
  let rateLimited = 0;
  let otherErrors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const client = async (n: number) => {
    while (performance.now() < deadline) {
      const i = next++;
      const replica = replicas[(n + i) % replicas.length] as Replica;
      const answer = await replica.gql<{ image: { imageId: string } | null }>(
        `query($id: ID!) { image(imageId: $id) { imageId } }`,
        { id: ids[i % ids.length] },
      );
      if (answer.data?.image) reads += 1;
      else if (answer.errors?.[0]?.extensions?.code === "RATE_LIMITED") rateLimited += 1;
      else otherErrors += 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, n) => client(n)));
  const elapsed = (performance.now() - started) / 1000;
  const upstream429 = upstreamStatuses(replicas)[429] ?? 0;
  return { reads, rateLimited, otherErrors, upstream429, readsPerSecond: Math.round(reads / elapsed) };
}

async function emulatorWith(
  rateLimit: RateLimitSpec,
  images: number,
): Promise<{ emulator: TestEmulator; ids: string[] }> {
  // A little latency, as a network has: the emulator alone answers in microseconds.
  const emulator = await startTestEmulator({ rateLimit, latencyMs: 5 });
  const created = await emulator.admin("POST", "/images", { count: images });
  const ids = ((await created.json()) as { ids: string[] }).ids;
  await emulator.reset();
  return { emulator, ids };
}

async function scenario(
  name: string,
  rateLimit: RateLimitSpec,
  replicaCount: number,
  env: Record<string, string>,
): Promise<void> {
  const { emulator, ids } = await emulatorWith(rateLimit, 5000);
  const replicas = await startReplicas(emulator, replicaCount, { UPSTREAM_RETRY_BASE_DELAY_MS: "50", ...env });
  // Redis connects in the background; the first calls would otherwise take the fallback share.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const outcome = await distinctReads(replicas, ids);
  console.log(
    `${name.padEnd(52)} ${String(outcome.readsPerSecond).padStart(5)} reads/s  ${String(outcome.reads).padStart(6)} served  ${String(outcome.rateLimited).padStart(6)} RATE_LIMITED  ${String(outcome.otherErrors).padStart(3)} other errors  upstream 429s: ${outcome.upstream429}`,
  );
  await closeReplicas(replicas);
  await emulator.close();
}

const REAL: RateLimitSpec = { limit: 1200, windowSeconds: 300, blockSeconds: 300 };
// One client address sends everything here: its fair share is the whole window, or the figures would halve.
const ONE_CALLER = { UPSTREAM_CALLER_SHARE: "1" };
console.log(`capacity: ${seconds} s per scenario, ${connections} clients, distinct image reads, emulator latency 5 ms`);
await scenario("1 replica, global API only (UPSTREAM_BATCH=off)", REAL, 1, { ...ONE_CALLER, UPSTREAM_BATCH: "off" });
await scenario("1 replica, batch host (UPSTREAM_BATCH=auto)", REAL, 1, { ...ONE_CALLER, UPSTREAM_BATCH: "auto" });

// A small window, so that the flood spends it within the run; each replica believes it has all of it.
const SMALL: RateLimitSpec = { limit: 300, windowSeconds: 60, blockSeconds: 60 };
const overload = { ...ONE_CALLER, UPSTREAM_BATCH: "off", UPSTREAM_BUDGET: "300", UPSTREAM_BUDGET_WINDOW_SECONDS: "60" };
await scenario("3 replicas, a budget each (no Redis)", SMALL, 3, overload);
const redis = await startTestRedis();
try {
  await scenario("3 replicas, one budget in Redis", SMALL, 3, {
    ...overload,
    REDIS_URL: redis.url,
    UPSTREAM_REPLICAS: "3",
  });
} finally {
  await redis.close();
}
