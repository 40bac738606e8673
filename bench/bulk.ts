// npm run bench -- bulk [--items <n>]: bulk jobs against the emulator's real limits (1,200 calls per
// 5 minutes on the global API, 200 a second per batch token): items per second for a delete by
// filter, a metadata update and an import by URL of n images (default 2,000), the upstream's 429s
// (goal 0), and interactive reads' p99 while each job runs against their p99 idle (goal: within 2x).
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config/index.ts";
import { samplePng } from "../src/emulator/samples/index.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import type { TransportEvent } from "../src/upstream/index.ts";
import { postGraphQL } from "../test/support/server.ts";
import { TEST_ENV } from "../test/support/spawn.ts";
import { type EmulatorProcess, startEmulatorProcess } from "./lib/emulator-process.ts";

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { items: { type: "string", default: "2000" }, readers: { type: "string", default: "4" } },
});
const items = Number(values.items);
const readers = Number(values.readers);
const JOB = "id state total done failed skipped";

interface Measured {
  kind: string;
  itemsPerSecond: number;
  done: number;
  failed: number;
  skipped: number;
  upstream429: number;
  p99Ms: number;
}

/** The server in this process (its upstream calls recorded); the emulator in its own, as Cloudflare is. */
interface Replica {
  server: RunningServer;
  events: TransportEvent[];
  gql<T>(query: string, variables?: Record<string, unknown>): ReturnType<typeof postGraphQL<T>>;
}

async function startReplica(emulator: EmulatorProcess, env: Record<string, string>): Promise<Replica> {
  const events: TransportEvent[] = [];
  const config = loadConfig({ ...TEST_ENV, ...env });
  const app = createApp(config, emulator, { onUpstreamEvent: (event) => events.push(event) });
  const server = await startServer(app, { host: "127.0.0.1", port: 0 });
  const url = new URL("/graphql", server.url);
  return { server, events, gql: (query, variables) => postGraphQL(url, query, variables) };
}

async function seed(emulator: EmulatorProcess, count: number, creator: string): Promise<string[]> {
  const ids: string[] = [];
  for (let left = count; left > 0; left -= 10_000) {
    const response = await fetch(`${emulator.origin}/__emulator/images`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: Math.min(left, 10_000), creator }),
    });
    ids.push(...((await response.json()) as { ids: string[] }).ids);
  }
  return ids;
}

/** Closed-loop readers of distinct images (no cache): their latencies until `stop` resolves. */
async function interactive(replica: Replica, ids: readonly string[], stop: Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  let running = true;
  void stop.then(() => {
    running = false;
  });
  let next = 0;
  const reader = async () => {
    while (running) {
      const started = performance.now();
      await replica.gql(`query($id: ID!) { image(imageId: $id) { imageId } }`, { id: ids[next++ % ids.length] });
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: readers }, reader));
  return latencies;
}

function p99(latencies: number[]): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return Math.round((sorted[Math.floor(sorted.length * 0.99)] ?? 0) * 10) / 10;
}

async function runJob(
  replica: Replica,
  kind: string,
  document: string,
  variables: Record<string, unknown>,
  readIds: readonly string[],
): Promise<Measured> {
  replica.events.length = 0;
  const started = performance.now();
  const made = await replica.gql<Record<string, { job: { id: string } }>>(document, variables);
  const id = Object.values(made.data ?? {})[0]?.job?.id;
  if (!id) throw new Error(`${kind}: ${JSON.stringify(made.errors)}`);
  let finished: { state: string; done: number; failed: number; skipped: number } | undefined;
  const done = (async () => {
    for (;;) {
      const answer = await replica.gql<{ bulkJob: NonNullable<typeof finished> }>(
        `query($id: ID!) { bulkJob(id: $id) { ${JOB} } }`,
        { id },
      );
      const job = answer.data?.bulkJob;
      if (job && ["SUCCEEDED", "FAILED", "CANCELLED"].includes(job.state)) {
        finished = job;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const latencies = await interactive(replica, readIds, done);
  const seconds = (performance.now() - started) / 1000;
  const job = finished as NonNullable<typeof finished>;
  const upstream429 = replica.events.filter((e) => e.type === "response" && e.status === 429).length;
  return {
    kind,
    itemsPerSecond: Math.round((job.done + job.skipped + job.failed) / seconds),
    done: job.done,
    failed: job.failed,
    skipped: job.skipped,
    upstream429,
    p99Ms: p99(latencies),
  };
}

const dir = mkdtempSync(join(tmpdir(), "bench-bulk-"));
// A little latency, as a network has: the emulator alone answers in microseconds.
const emulator = await startEmulatorProcess(["--rate-limit", "--latency-ms", "5"]);
const photos = createServer((_request, response) => {
  response.writeHead(200, { "content-type": "image/png" }).end(samplePng(8, 8, 1));
});
await new Promise<void>((resolve) => photos.listen(0, "127.0.0.1", resolve));
const photosOrigin = `http://127.0.0.1:${(photos.address() as AddressInfo).port}`;
let replica: Replica | undefined;
try {
  const readIds = await seed(emulator, 500, "reader");
  await seed(emulator, items, "doomed");
  await seed(emulator, items, "album");
  const active = await startReplica(emulator, {
    CATALOGUE: "on",
    CATALOGUE_DIR: dir,
    CATALOGUE_DELTA_SECONDS: "0",
    UPSTREAM_BATCH: "auto",
    AUTH_MODE: "none",
    ALLOW_UNAUTHENTICATED: "true",
    UPSTREAM_BUDGET: "1200",
    UPSTREAM_RETRY_BASE_DELAY_MS: "100",
    LOG_LEVEL: "warn",
    // 2,000 import items are about 120 kB of JSON: past the default 100 kB body limit.
    MAX_BODY_BYTES: "1000000",
  });
  replica = active;
  for (let waited = 0; ; waited += 100) {
    const answer = await active.gql<{ catalogue: { status: string } }>("{ catalogue { status } }");
    if (answer.data?.catalogue.status === "READY") break;
    if (waited > 60_000) throw new Error(`the catalogue is still ${answer.data?.catalogue.status} after a minute`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const idle = await interactive(active, readIds, new Promise((resolve) => setTimeout(resolve, 5000)));
  const idleP99 = p99(idle);
  console.log(`bulk jobs of ${items} images, ${readers} interactive readers; idle read p99 ${idleP99} ms`);
  console.log(
    `${"job".padEnd(28)} ${"items/s".padStart(8)} ${"done".padStart(6)} ${"failed".padStart(6)} ${"skipped".padStart(7)} ${"429s".padStart(5)} ${"read p99 ms".padStart(12)} ${"x idle".padStart(7)}`,
  );
  const print = (r: Measured): Measured => {
    console.log(
      `${r.kind.padEnd(28)} ${String(r.itemsPerSecond).padStart(8)} ${String(r.done).padStart(6)} ${String(r.failed).padStart(6)} ${String(r.skipped).padStart(7)} ${String(r.upstream429).padStart(5)} ${String(r.p99Ms).padStart(12)} ${(r.p99Ms / idleP99).toFixed(2).padStart(7)}`,
    );
    return r;
  };
  const results = [
    await runJob(
      active,
      "delete by filter",
      `mutation($input: DeleteImagesInput!) { deleteImages(input: $input) { job { id } } }`,
      { input: { filter: { creator: "doomed" } } },
      readIds,
    ).then(print),
    await runJob(
      active,
      "update metadata by filter",
      `mutation($input: UpdateImagesInput!) { updateImages(input: $input) { job { id } } }`,
      { input: { filter: { creator: "album" }, set: { metadata: { album: "edited" } } } },
      readIds,
    ).then(print),
    await runJob(
      active,
      "import by URL",
      `mutation($input: ImportImagesInput!) { importImages(input: $input) { job { id } } }`,
      {
        input: {
          items: Array.from({ length: items }, (_, n) => ({ url: `${photosOrigin}/${n}.png`, id: `bench/${n}` })),
        },
      },
      readIds,
    ).then(print),
  ];
  const deletion = results[0] as Measured;
  const met = deletion.itemsPerSecond >= 150 && deletion.upstream429 === 0 && deletion.p99Ms <= 2 * idleP99;
  console.log(`done-when (deletes >= 150/s, 0 upstream 429s, read p99 within 2x idle): ${met ? "met" : "NOT met"}`);
} finally {
  await replica?.server.close();
  await emulator.stop();
  await new Promise((resolve) => photos.close(resolve));
  rmSync(dir, { recursive: true, force: true });
}
