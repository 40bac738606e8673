// npm run bench: what the server costs, in ratios taken within one run. Per scenario, the full
// server (real-account settings, API-key auth), the framework floor (bench/lib/floor-server.ts: yoga on
// the same schema and context, none of the project's plugins) and the physical floor (the same
// calls straight to the upstream), over a standalone emulator with 0 ms latency so that CPU, not
// waiting, sets the pace. Then one connection (the latency each adds), start-up and memory.
// Writes bench/results/latest.json.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulatorProcess } from "./lib/emulator-process.ts";
import { type LoadRequest, type LoadResult, runLoad } from "./lib/load.ts";
import { cpuMs, rssSplitMb, watchRss } from "./lib/proc.ts";
import { API_KEY, FULL_SERVER_ENV, scenarios as scenariosFor, seed } from "./lib/scenarios.ts";
import { type BenchServer, SERVER_NODE_ARGS, startServerProcess } from "./lib/server-process.ts";
import { measureStartup } from "./lib/startup.ts";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
const ONE_CONNECTION_MS = Number(process.env.BENCH_ONE_CONNECTION_MS ?? 2000);
const STARTUPS = Number(process.env.BENCH_STARTUPS ?? 3);

const startedAt = new Date();
const loadBefore = loadavg();
const emulator = await startEmulatorProcess(["--latency-ms", "0"]);
const ids = await seed(emulator);
const full = await startServerProcess(emulator, SERVER_NODE_ARGS, "src/main.ts", undefined, FULL_SERVER_ENV);
const floor = await startServerProcess(emulator, SERVER_NODE_ARGS, "bench/lib/floor-server.ts");
// BENCH_SCENARIOS=stats,variants runs only those (a quick A/B while profiling).
const only = process.env.BENCH_SCENARIOS?.split(",");
const scenarios = scenariosFor(emulator, ids).filter((s) => !only || only.includes(s.name));

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

const idleBefore = await rssSplitMb(full.pid);
const underLoad: Record<string, unknown>[] = [];
for (const s of scenarios) {
  const fullRun = await measure(full.origin, full.pid, s.facade, CONNECTIONS, DURATION_MS);
  const floorRun = await measure(floor.origin, floor.pid, s.facade, CONNECTIONS, DURATION_MS);
  const directRun = await measure(emulator.origin, undefined, s.direct, CONNECTIONS, DURATION_MS);
  underLoad.push({ scenario: s.name, singleCall: s.singleCall, full: fullRun, floor: floorRun, direct: directRun });
}
await new Promise((resolve) => setTimeout(resolve, 2000));
const idleAfter = await rssSplitMb(full.pid);

const oneConnection: Record<string, unknown>[] = [];
for (const s of scenarios) {
  const fullRun = await measure(full.origin, full.pid, s.facade, 1, ONE_CONNECTION_MS);
  const floorRun = await measure(floor.origin, floor.pid, s.facade, 1, ONE_CONNECTION_MS);
  const directRun = await measure(emulator.origin, undefined, s.direct, 1, ONE_CONNECTION_MS);
  oneConnection.push({ scenario: s.name, full: fullRun, floor: floorRun, direct: directRun });
}
full.process.kill("SIGTERM");
floor.process.kill("SIGTERM");

// Cold: a compile cache of its own, empty (a fresh container); the others share the warm one.
const coldCache = await mkdtemp(join(tmpdir(), "bench-compile-cache-"));
const startup = {
  realAccountColdCache: await measureStartup(
    emulator,
    1,
    { ...FULL_SERVER_ENV, NODE_COMPILE_CACHE: coldCache },
    `Bearer ${API_KEY}`,
  ),
  realAccount: await measureStartup(emulator, STARTUPS, FULL_SERVER_ENV, `Bearer ${API_KEY}`),
  embeddedEmulator: await measureStartup(undefined, STARTUPS, {}, undefined),
};
await emulator.stop();
await rm(coldCache, { recursive: true, force: true });

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
  fullIdleBeforeLoadMb: idleBefore.rss,
  fullIdleBeforeLoadAnonMb: idleBefore.anon,
  fullPeakUnderLoadMb: peakMb,
  fullIdleAfterLoadMb: idleAfter.rss,
  fullIdleAfterLoadAnonMb: idleAfter.anon,
  bareNodeMb: await bareNodeRss(),
  embeddedEmulatorShareMb: startup.embeddedEmulator.idleRssMb - startup.realAccount.idleRssMb,
};
console.log(
  `\nStart-up to first answer (median of ${STARTUPS}): ${fmt(startup.realAccount.firstAnswerMs, 0)} ms with real-account settings ` +
    `(${fmt(startup.realAccountColdCache.firstAnswerMs, 0)} ms with an empty compile cache), ` +
    `${fmt(startup.embeddedEmulator.firstAnswerMs, 0)} ms with the embedded emulator`,
);
console.log(
  `RSS of the full server: ${memory.fullIdleBeforeLoadMb} MB idle after start-up, ${memory.fullPeakUnderLoadMb} MB peak at ` +
    `${CONNECTIONS} connections, ${memory.fullIdleAfterLoadMb} MB idle after the load; just started, ${startup.realAccount.idleRssMb} MB ` +
    `(real account) and ${startup.embeddedEmulator.idleRssMb} MB with the embedded emulator (its share ${memory.embeddedEmulatorShareMb} MB); ` +
    `without mapped files (the node binary's pages) ${memory.fullIdleBeforeLoadAnonMb} MB idle, ${memory.fullIdleAfterLoadAnonMb} MB after the load; ` +
    `a bare node process: ${memory.bareNodeMb.rss} MB (${memory.bareNodeMb.anon} MB without mapped files)`,
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

/** What any Node process of this binary holds, doing nothing. */
async function bareNodeRss(): Promise<{ rss: number; anon: number; file: number }> {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], { stdio: "ignore" });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const split = await rssSplitMb(child.pid as number);
  child.kill("SIGTERM");
  return split;
}
