// npm run bench -- memory: the server run directly with `node` (as the image runs it) inside a memory
// cgroup, as a container runtime would set its limit, under 50 connections asking for pages of 100
// images with variants; once without a limit for the ratio. Per run: req/s, 200s, 503s (with
// Retry-After), anything else, p99, peak usage of the group, and whether the kernel killed the process.
// Needs root and the cgroup v1 memory controller (or cgroup v2 with the memory controller enabled).
// Writes bench/results/memory-latest.json.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { startEmulatorProcess } from "./lib/emulator-process.ts";
import { rssSplitMb } from "./lib/proc.ts";
import { API_KEY, FULL_SERVER_ENV, seed } from "./lib/scenarios.ts";
import { serverEnv, startLine, type Upstream } from "./lib/server-process.ts";

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    seconds: { type: "string", default: "15" },
    limits: { type: "string", default: "160,256" },
    connections: { type: "string", default: "50" },
    cache: { type: "string", default: "on" },
  },
  strict: true,
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const LIMITS_MB = values.limits.split(",").map(Number);

const PAGE_OF_100 =
  "{ images(first: 100) { edges { node { imageId url variants { name url variant { options { width height fit } } } } } } }";

/** A memory cgroup of our own, v1 or v2, for one server process. */
interface MemoryGroup {
  readonly dir: string;
  readonly version: 1 | 2;
  peakBytes(): Promise<number | undefined>;
  /** Times the kernel's OOM killer acted in the group (v1 reports it from kernel 4.13 on). */
  oomKills(): Promise<number | undefined>;
  failures(): Promise<number | undefined>;
  remove(): Promise<void>;
}

async function createGroup(name: string, limitBytes: number): Promise<MemoryGroup> {
  const v1 = "/sys/fs/cgroup/memory";
  const v2 = existsSync("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  const version = existsSync(join(v1, "memory.limit_in_bytes")) ? 1 : 2;
  const dir = join(version === 1 ? v1 : v2, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, version === 1 ? "memory.limit_in_bytes" : "memory.max"), String(limitBytes));
  // No swap on this machine; where there is, the limit covers it too so that the figures mean the same.
  if (version === 1 && existsSync(join(dir, "memory.memsw.limit_in_bytes"))) {
    await writeFile(join(dir, "memory.memsw.limit_in_bytes"), String(limitBytes)).catch(() => undefined);
  }
  const number = async (file: string, key?: string) => {
    const text = await readFile(join(dir, file), "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    if (key === undefined) return Number(text.trim());
    const match = new RegExp(`^${key} (\\d+)$`, "m").exec(text);
    return match ? Number(match[1]) : undefined;
  };
  return {
    dir,
    version,
    peakBytes: () => number(version === 1 ? "memory.max_usage_in_bytes" : "memory.peak"),
    oomKills: () => (version === 1 ? number("memory.oom_control", "oom_kill") : number("memory.events", "oom_kill")),
    failures: () => (version === 1 ? number("memory.failcnt") : number("memory.events", "max")),
    remove: async () => {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          return await rmdir(dir);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
  };
}

/** `node src/main.ts` with no flags, as the image starts it, moved into `group` before node starts. */
async function startInGroup(emulator: Upstream, group: MemoryGroup | undefined, env: NodeJS.ProcessEnv) {
  const procs = group && join(group.dir, "cgroup.procs");
  const command = [process.execPath, "src/main.ts"].map((arg) => `'${arg}'`).join(" ");
  const child = spawn("sh", ["-c", procs ? `echo $$ > '${procs}' && exec ${command}` : `exec ${command}`], {
    env: { ...serverEnv(emulator), ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const origin = await startLine(child);
  return { child, origin, exit };
}

interface Tally {
  ok: number;
  shedWithRetryAfter: number;
  shedWithout: number;
  otherStatuses: Record<string, number>;
  connectionErrors: number;
  latencies: number[];
  shedLatencies: number[];
  /** What the shed answers named: HEAP, MEMORY or EVENT_LOOP_DELAY. */
  shedBy: Record<string, number>;
}

/** Closed-loop load as bench/load.ts runs it, counting each kind of answer. */
async function load(origin: string, durationMs: number): Promise<Tally & { durationMs: number }> {
  const pool = new Pool(origin, { connections: CONNECTIONS, pipelining: 1 });
  const tally: Tally = {
    ok: 0,
    shedWithRetryAfter: 0,
    shedWithout: 0,
    otherStatuses: {},
    connectionErrors: 0,
    latencies: [],
    shedLatencies: [],
    shedBy: {},
  };
  const body = JSON.stringify({ query: PAGE_OF_100 });
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const answer = await pool.request({
          method: "POST",
          path: "/graphql",
          headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
          body,
        });
        let text = "";
        if (answer.statusCode === 503) text = await answer.body.text();
        else await answer.body.dump();
        const ms = performance.now() - t0;
        tally.latencies.push(ms);
        if (answer.statusCode === 200) tally.ok++;
        else if (answer.statusCode === 503) {
          tally.shedLatencies.push(ms);
          const pressure = /"pressure":"(\w+)"/.exec(text)?.[1] ?? "unknown";
          tally.shedBy[pressure] = (tally.shedBy[pressure] ?? 0) + 1;
          if (answer.headers["retry-after"]) tally.shedWithRetryAfter++;
          else tally.shedWithout++;
        } else tally.otherStatuses[answer.statusCode] = (tally.otherStatuses[answer.statusCode] ?? 0) + 1;
      } catch {
        tally.connectionErrors++;
        // A dead server refuses at once: do not spin.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  await pool.close();
  return { ...tally, durationMs: performance.now() - started };
}

const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
};

async function run(emulator: Upstream, limitMb: number | undefined) {
  const group =
    limitMb === undefined ? undefined : await createGroup(`cig-bench-${process.pid}-${limitMb}`, limitMb * 1024 * 1024);
  const env = { ...FULL_SERVER_ENV, CACHE: values.cache };
  const server = await startInGroup(emulator, group, env);
  let killedBy: string | undefined;
  void server.exit.then(({ code, signal }) => {
    killedBy = signal ?? `exit ${code}`;
  });
  try {
    const idleMb = await rssSplitMb(server.child.pid as number);
    // A short warm-up, not counted.
    await load(server.origin, 2000);
    const tally = await load(server.origin, SECONDS * 1000);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const afterMb = killedBy ? undefined : await rssSplitMb(server.child.pid as number);
    const served = tally.ok + tally.shedWithRetryAfter + tally.shedWithout;
    return {
      limitMb: limitMb ?? "none",
      requestsPerSecond: Math.round((tally.ok / tally.durationMs) * 1000),
      ok: tally.ok,
      shed: tally.shedWithRetryAfter,
      shedWithoutRetryAfter: tally.shedWithout,
      shedBy: tally.shedBy,
      otherStatuses: tally.otherStatuses,
      connectionErrors: tally.connectionErrors,
      p99Ms: percentile(tally.latencies, 0.99),
      shedP99Ms: tally.shedLatencies.length ? percentile(tally.shedLatencies, 0.99) : undefined,
      answered: served,
      peakGroupMb: group ? Math.round(((await group.peakBytes()) ?? 0) / 1024 / 1024) : undefined,
      groupFailures: await group?.failures(),
      oomKills: await group?.oomKills(),
      killedBy,
      idleRssMb: idleMb,
      rssFiveSecondsAfterMb: afterMb,
    };
  } finally {
    await stop(server.child);
    await group?.remove();
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
  });
}

const emulator = await startEmulatorProcess(["--latency-ms", "0"]);
try {
  await seed(emulator);
  const runs = [];
  for (const limit of [undefined, ...LIMITS_MB]) {
    const result = await run(emulator, limit);
    runs.push(result);
    console.log(JSON.stringify(result));
  }
  const unlimited = runs[0]?.requestsPerSecond ?? 0;
  console.log("\nlimit   req/s  of-unlimited   200s    503+RA  other  conn-err  p99ms  503-p99ms  peak-MB  killed");
  for (const r of runs) {
    const other = Object.values(r.otherStatuses).reduce((a, b) => a + b, 0) + r.shedWithoutRetryAfter;
    const share = unlimited ? `${Math.round((r.requestsPerSecond / unlimited) * 100)} %` : "-";
    console.log(
      [
        String(r.limitMb).padEnd(6),
        String(r.requestsPerSecond).padStart(6),
        share.padStart(13),
        String(r.ok).padStart(6),
        String(r.shed).padStart(9),
        String(other).padStart(6),
        String(r.connectionErrors).padStart(9),
        String(r.p99Ms).padStart(6),
        String(r.shedP99Ms ?? "-").padStart(10),
        String(r.peakGroupMb ?? "-").padStart(8),
        `  ${r.killedBy ?? (r.oomKills ? `oom_kill ${r.oomKills}` : "no")}`,
      ].join(" "),
    );
  }
  await mkdir("bench/results", { recursive: true });
  await writeFile(
    "bench/results/memory-latest.json",
    `${JSON.stringify({ at: new Date().toISOString(), seconds: SECONDS, connections: CONNECTIONS, cache: values.cache, runs }, null, 2)}\n`,
  );
} finally {
  await emulator.stop();
}
