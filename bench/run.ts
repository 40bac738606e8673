// npm run bench: what the server costs, in ratios taken within one run. Per scenario, the full
// server (real-account settings, API-key auth), the framework floor (bench/floor-server.ts: yoga on
// the same schema and context, none of the project's plugins) and the physical floor (the same
// calls straight to the upstream), over a standalone emulator with 0 ms latency so that CPU, not
// waiting, sets the pace. Then one connection (the latency each adds), start-up and memory.
// Writes bench/results/latest.json.
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { startEmulatorProcess } from "./emulator-process.ts";
import { type LoadRequest, type LoadResult, runLoad } from "./load.ts";
import { cpuMs, rssMb, watchRss } from "./proc.ts";
import { type BenchServer, startServerProcess } from "./server-process.ts";
import { measureStartup } from "./startup.ts";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
const ONE_CONNECTION_MS = Number(process.env.BENCH_ONE_CONNECTION_MS ?? 2000);
const STARTUPS = Number(process.env.BENCH_STARTUPS ?? 3);

const startedAt = new Date();
const loadBefore = loadavg();
const emulator = await startEmulatorProcess(["--latency-ms", "0"]);
const admin = (path: string, body: unknown) =>
  fetch(`${emulator.origin}/__emulator${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const ids: string[] = [];
for (let i = 0; i < 3; i++)
  ids.push(...((await (await admin("/images", { count: 700 })).json()) as { ids: string[] }).ids);
for (const id of ["thumb", "hero"]) {
  await fetch(`${emulator.baseUrl}/accounts/${emulator.accountId}/images/v1/variants`, {
    method: "POST",
    headers: { authorization: `Bearer ${emulator.token}`, "content-type": "application/json" },
    body: JSON.stringify({ id, options: { fit: "cover", metadata: "none", width: 200, height: 200 } }),
  });
}

// Real-account settings: an API key per client (the floor has no auth and ignores the header).
const API_KEY = "bench-api-key-0123456789abcdef";
const fullEnv = {
  AUTH_MODE: "api-key",
  ALLOW_UNAUTHENTICATED: undefined,
  API_KEYS: `bench:${createHash("sha256").update(API_KEY).digest("hex")}:images:read+keys:read`,
  // The framework floor has no cross-request cache: the comparison is of the pipeline, not of caching.
  CACHE: "off",
};
const full = await startServerProcess(emulator, [], "src/main.ts", undefined, fullEnv);
const floor = await startServerProcess(emulator, [], "bench/floor-server.ts");

const api = `/client/v4/accounts/${emulator.accountId}/images`;
const gql = (query: string): LoadRequest => ({
  method: "POST",
  path: "/graphql",
  headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
  body: JSON.stringify({ query }),
});
const rest = (path: string): LoadRequest => ({
  method: "GET",
  path: `${api}${path}`,
  headers: { authorization: `Bearer ${emulator.token}` },
});
const pick = (i: number) => ids[(i * 7919) % ids.length] as string;

interface Scenario {
  name: string;
  /** One upstream call, almost no work of the server's own: where the pipeline's cost shows. */
  singleCall: boolean;
  facade: (i: number) => LoadRequest;
  direct: (i: number) => LoadRequest[];
}

const scenarios: Scenario[] = [
  {
    name: "stats",
    singleCall: true,
    facade: () => gql("{ stats { current allowed remaining } }"),
    direct: () => [rest("/v1/stats")],
  },
  {
    name: "variants",
    singleCall: true,
    facade: () => gql("{ variants { name neverRequireSignedURLs options { fit metadata width height } } }"),
    direct: () => [rest("/v1/variants")],
  },
  {
    name: "signingKeys",
    singleCall: true,
    facade: () => gql("{ signingKeys { name value } }"),
    direct: () => [rest("/v1/keys")],
  },
  {
    name: "page of 100 with variants",
    singleCall: false,
    facade: () =>
      gql(
        "{ images(first: 100) { edges { node { imageId url variants { name url variant { options { width height fit } } } } } } }",
      ),
    direct: () => [rest("/v2?per_page=100"), rest("/v1/variants")],
  },
  {
    name: "20 aliased images (10 unique)",
    singleCall: false,
    facade: (i) =>
      gql(
        `{ ${Array.from({ length: 20 }, (_, k) => `a${k}: image(imageId: "${pick(i * 10 + (k % 10))}") { imageId url }`).join(" ")} }`,
      ),
    direct: (i) => Array.from({ length: 10 }, (_, k) => rest(`/v1/${pick(i * 10 + k)}`)),
  },
];

for (const s of scenarios) for (const target of [full, floor]) await expectAnswer(target, s.facade(1), s.name);

interface Measured extends LoadResult {
  cpuMsPerRequest?: number;
  peakRssMb?: number;
}

/** A warm-up (JIT, pools, heap growth) that is not counted, then the measured run. */
async function measure(
  origin: string,
  pid: number | undefined,
  make: (i: number) => LoadRequest | LoadRequest[],
  connections: number,
  durationMs: number,
): Promise<Measured> {
  await runLoad(origin, make, { connections, durationMs: Math.min(WARMUP_MS, durationMs / 2) });
  const cpuBefore = pid === undefined ? 0 : await cpuMs(pid);
  const rss = pid === undefined ? undefined : watchRss(pid);
  const result = await runLoad(origin, make, { connections, durationMs });
  const peakRssMb = rss?.stop();
  if (pid === undefined) return result;
  const cpuMsPerRequest = ((await cpuMs(pid)) - cpuBefore) / Math.max(1, result.requests);
  return { ...result, cpuMsPerRequest, peakRssMb };
}

const idleBeforeMb = await rssMb(full.pid);
const underLoad: Record<string, unknown>[] = [];
for (const s of scenarios) {
  const fullRun = await measure(full.origin, full.pid, s.facade, CONNECTIONS, DURATION_MS);
  const floorRun = await measure(floor.origin, floor.pid, s.facade, CONNECTIONS, DURATION_MS);
  const directRun = await measure(emulator.origin, undefined, s.direct, CONNECTIONS, DURATION_MS);
  underLoad.push({ scenario: s.name, singleCall: s.singleCall, full: fullRun, floor: floorRun, direct: directRun });
}
await new Promise((resolve) => setTimeout(resolve, 2000));
const idleAfterMb = await rssMb(full.pid);

const oneConnection: Record<string, unknown>[] = [];
for (const s of scenarios) {
  const fullRun = await measure(full.origin, full.pid, s.facade, 1, ONE_CONNECTION_MS);
  const floorRun = await measure(floor.origin, floor.pid, s.facade, 1, ONE_CONNECTION_MS);
  const directRun = await measure(emulator.origin, undefined, s.direct, 1, ONE_CONNECTION_MS);
  oneConnection.push({ scenario: s.name, full: fullRun, floor: floorRun, direct: directRun });
}
full.process.kill("SIGTERM");
floor.process.kill("SIGTERM");

const startup = {
  realAccount: await measureStartup(emulator, STARTUPS, fullEnv, `Bearer ${API_KEY}`),
  embeddedEmulator: await measureStartup(undefined, STARTUPS, {}, undefined),
};
await emulator.stop();

const fmt = (n: number | undefined, digits = 1) => (n === undefined ? "" : n.toFixed(digits));
const runs = (r: Record<string, unknown>) => r as unknown as { full: Measured; floor: Measured; direct: Measured };
console.log(
  `\n${CONNECTIONS} connections, ${DURATION_MS} ms per run after ${WARMUP_MS} ms of warm-up, 0 ms upstream latency`,
);
console.table(
  underLoad.flatMap((r) => {
    const { full: f, floor: b, direct: d } = runs(r);
    return [
      ["full server", f],
      ["framework floor", b],
      ["direct REST", d],
    ].map(([target, m]) => {
      const run = m as Measured;
      return {
        scenario: r.scenario,
        target,
        "req/s": fmt(run.requestsPerSecond, 0),
        "p50 ms": fmt(run.p50Ms),
        "p99 ms": fmt(run.p99Ms),
        "CPU ms/req": fmt(run.cpuMsPerRequest, 2),
        "peak RSS MB": run.peakRssMb ?? "",
        "of floor": run === d ? "" : `${fmt((run.requestsPerSecond / b.requestsPerSecond) * 100, 0)} %`,
        "of direct": `${fmt((run.requestsPerSecond / d.requestsPerSecond) * 100, 0)} %`,
        errors: run.errors,
      };
    });
  }),
);
console.log("\nOne connection: the latency each layer adds");
console.table(
  oneConnection.map((r) => {
    const { full: f, floor: b, direct: d } = runs(r);
    return {
      scenario: r.scenario,
      "full p50 ms": fmt(f.p50Ms, 2),
      "floor p50 ms": fmt(b.p50Ms, 2),
      "direct p50 ms": fmt(d.p50Ms, 2),
      "added p50 over direct ms": fmt(f.p50Ms - d.p50Ms, 2),
      "of which the floor's ms": fmt(b.p50Ms - d.p50Ms, 2),
      "full CPU ms/req": fmt(f.cpuMsPerRequest, 2),
      "floor CPU ms/req": fmt(b.cpuMsPerRequest, 2),
    };
  }),
);
const peakMb = Math.max(...underLoad.map((r) => runs(r).full.peakRssMb ?? 0));
const memory = {
  fullIdleBeforeLoadMb: idleBeforeMb,
  fullPeakUnderLoadMb: peakMb,
  fullIdleAfterLoadMb: idleAfterMb,
  embeddedEmulatorShareMb: startup.embeddedEmulator.idleRssMb - startup.realAccount.idleRssMb,
};
console.log(
  `\nStart-up to first answer (median of ${STARTUPS}): ${fmt(startup.realAccount.firstAnswerMs, 0)} ms with real-account settings, ` +
    `${fmt(startup.embeddedEmulator.firstAnswerMs, 0)} ms with the embedded emulator`,
);
console.log(
  `RSS of the full server: ${memory.fullIdleBeforeLoadMb} MB idle after start-up, ${memory.fullPeakUnderLoadMb} MB peak at ` +
    `${CONNECTIONS} connections, ${memory.fullIdleAfterLoadMb} MB idle after the load; just started, ${startup.realAccount.idleRssMb} MB ` +
    `(real account) and ${startup.embeddedEmulator.idleRssMb} MB with the embedded emulator (its share ${memory.embeddedEmulatorShareMb} MB)`,
);

await mkdir(new URL("./results/", import.meta.url), { recursive: true });
const out = new URL("./results/latest.json", import.meta.url);
const report = {
  startedAt: startedAt.toISOString(),
  node: process.version,
  cpus: cpus().length,
  loadAverage: { before: loadBefore, after: loadavg() },
  connections: CONNECTIONS,
  durationMs: DURATION_MS,
  warmupMs: WARMUP_MS,
  upstreamLatencyMs: 0,
  underLoad,
  oneConnection,
  startup,
  memory,
};
await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${out.pathname}`);

async function expectAnswer(target: BenchServer, request: LoadRequest, name: string): Promise<void> {
  const response = await fetch(`${target.origin}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
  const body = (await response.json()) as { errors?: unknown };
  if (!response.ok || body.errors) throw new Error(`${name} failed: ${response.status} ${JSON.stringify(body)}`);
}
