// npm run bench -- frontend [--users 40] [--seconds 60] [--images 500] [--think-ms 0]
// [--writes-per-second 1] [--batch off]: a gallery frontend's traffic on the default budget. N users
// browse an account of `images` images (pages of 20 with variant URLs, details of 3, sometimes the
// next page) while some write (mostly metadata edits, a few uploads and deletes), through one facade
// process, then through three sharing one Redis, each with CACHE=on and CACHE=off, against an
// emulator enforcing Cloudflare's limits. Reports the share answered without RATE_LIMITED (goal
// >= 99 %), upstream calls, stale reads (goal 0) and latency; writes
// bench/results/frontend-<date>-<seconds>s.md. `--batch off`: the global API alone (UPSTREAM_BATCH=off).
import { mkdir, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { startTestRedis } from "../test/support/redis.ts";
import { startAccount, startFacades, stopFacades, type UpstreamCalls, upstreamCalls } from "./lib/frontend-stack.ts";
import { browse, newTally, type Traffic } from "./lib/frontend-user.ts";
import { type StaleRead, StaleReadChecker } from "./lib/stale-reads.ts";

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    users: { type: "string", default: "40" },
    seconds: { type: "string", default: "60" },
    images: { type: "string", default: "500" },
    "think-ms": { type: "string", default: "0" },
    batch: { type: "string", default: "auto" },
    "writes-per-second": { type: "string", default: "1" },
  },
});
const users = Number(values.users);
const seconds = Number(values.seconds);
const images = Number(values.images);
const thinkMs = Number(values["think-ms"]);
const writesPerSecond = Number(values["writes-per-second"]);
if (!(writesPerSecond >= 0)) throw new Error("--writes-per-second must be 0 or more");
const batch = values.batch;
if (batch !== "auto" && batch !== "off") throw new Error("--batch must be auto (the default) or off");
if (!Number.isInteger(users) || users < 1 || users > 2500) throw new Error("--users must be an integer of 1 to 2500");
if (!(seconds > 0) || !Number.isInteger(images) || images < 20 || images > 10_000 || !(thinkMs >= 0))
  throw new Error("--seconds must be positive, --images an integer of 20 to 10000, --think-ms 0 or more");

interface Mode {
  name: string;
  replicas: number;
  cache: "on" | "off";
}

interface Row {
  mode: string;
  requests: number;
  requestsPerSecond: number;
  answeredPercent: number;
  rateLimited: number;
  otherErrors: number;
  upstream: UpstreamCalls;
  /** Global API calls past the 1,200 of the window: answered 429 (the run is shorter than the window). */
  upstream429: number | null;
  /** Global calls per second over the run: at most 4 (1,200 / 300 s) holds for a whole window. */
  globalPerSecond: number;
  readsChecked: number;
  readsCheckedAfterChange: number;
  staleReads: number;
  firstStaleReads: StaleRead[];
  writes: { updates: number; uploads: number; deletes: number; failed: number };
  p50Ms: number;
  p99Ms: number;
  firstErrors: string[];
  firstWriteFailures: string[];
}

const MODES: Mode[] = [
  { name: "1 process, CACHE=on", replicas: 1, cache: "on" },
  { name: "1 process, CACHE=off", replicas: 1, cache: "off" },
  { name: "3 replicas + Redis, CACHE=on", replicas: 3, cache: "on" },
  { name: "3 replicas + Redis, CACHE=off", replicas: 3, cache: "off" },
];
const WINDOW_LIMIT = 1200;
const WINDOW_SECONDS = 300;

async function runMode(mode: Mode): Promise<Row> {
  const { emulator, ids } = await startAccount(images);
  const redis = mode.replicas > 1 ? await startTestRedis() : undefined;
  // UPSTREAM_BATCH only when asked: otherwise the facade's own default.
  const env: Record<string, string> = { CACHE: mode.cache, ...(batch === "off" ? { UPSTREAM_BATCH: "off" } : {}) };
  if (redis) Object.assign(env, { REDIS_URL: redis.url, UPSTREAM_REPLICAS: String(mode.replicas) });
  const facades = await startFacades(emulator, mode.replicas, env);
  let stopped = false;
  try {
    // Redis connects in the background; the first calls would otherwise take the fallback share.
    if (redis) await new Promise((resolve) => setTimeout(resolve, 500));
    const checker = new StaleReadChecker();
    const setUp = performance.now();
    for (const id of ids) checker.written(id, 0, setUp);
    const tally = newTally();
    const started = performance.now();
    const traffic: Traffic = {
      origins: facades.map((f) => f.origin),
      checker,
      tally,
      writing: new Set(),
      uploaded: [],
      started,
      deadline: started + seconds * 1000,
      thinkMs,
      writesPerSecond,
      writesStarted: 0,
    };
    await Promise.all(Array.from({ length: users }, (_, n) => browse(n, traffic)));
    const elapsedS = (performance.now() - started) / 1000;
    const upstream = await upstreamCalls(emulator);
    const crashes = await stopFacades(facades);
    stopped = true;
    const latencies = tally.latenciesMs.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return {
      mode: mode.name,
      requests: tally.requests,
      requestsPerSecond: Math.round(tally.requests / elapsedS),
      answeredPercent: Math.round((tally.answered / Math.max(1, tally.requests)) * 1000) / 10,
      rateLimited: tally.rateLimited,
      otherErrors: tally.otherErrors + crashes.length,
      upstream,
      globalPerSecond: Math.round((upstream.global / elapsedS) * 10) / 10,
      upstream429: elapsedS < WINDOW_SECONDS ? Math.max(0, upstream.global - WINDOW_LIMIT) : null,
      readsChecked: checker.checked,
      readsCheckedAfterChange: checker.checkedAfterChange,
      staleReads: checker.stale.length,
      firstStaleReads: checker.stale.slice(0, 10),
      writes: tally.writes,
      p50Ms: Math.round(at(0.5) * 10) / 10,
      p99Ms: Math.round(at(0.99) * 10) / 10,
      firstErrors: [...crashes, ...tally.firstErrors].slice(0, 10),
      firstWriteFailures: tally.firstWriteFailures,
    };
  } finally {
    if (!stopped) await stopFacades(facades);
    await redis?.close();
    await emulator.close();
  }
}

function tableOf(rows: readonly Row[]): string {
  const header = [
    "mode",
    "requests",
    "req/s",
    "answered %",
    "RATE_LIMITED",
    "other errors",
    "upstream global (/s)",
    "upstream batch",
    "upstream 429",
    "reads checked (after an edit)",
    "stale reads",
    "writes (upd/up/del/failed)",
    "p50 ms",
    "p99 ms",
  ];
  const lines = rows.map((r) => [
    r.mode,
    r.requests,
    r.requestsPerSecond,
    r.answeredPercent,
    r.rateLimited,
    r.otherErrors,
    `${r.upstream.global} (${r.globalPerSecond})`,
    r.upstream.batch,
    r.upstream429 ?? "n/a",
    `${r.readsChecked} (${r.readsCheckedAfterChange})`,
    r.staleReads,
    `${r.writes.updates}/${r.writes.uploads}/${r.writes.deletes}/${r.writes.failed}`,
    r.p50Ms,
    r.p99Ms,
  ]);
  return [header, header.map(() => "---"), ...lines].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

const settings = `${users} users, ${seconds} s per mode, ${images} images, think time ${thinkMs} ms, ${writesPerSecond} writes/s (80 % edits, 10 % uploads, 10 % deletes), emulator latency 20 ms, real rate limit (1,200 per 5 min; 200/s per batch token), default budget, ${batch === "auto" ? "batch host (default)" : "UPSTREAM_BATCH=off"}`;
console.log(`frontend: ${settings}`);
const rows: Row[] = [];
for (const mode of MODES) {
  const row = await runMode(mode);
  rows.push(row);
  console.log(
    `${mode.name}: ${row.requests} requests (${row.requestsPerSecond}/s), ${row.answeredPercent} % answered, ` +
      `${row.rateLimited} RATE_LIMITED, ${row.otherErrors} other errors, upstream ${row.upstream.global} global + ` +
      `${row.upstream.batch} batch, ${row.staleReads} stale of ${row.readsChecked} reads, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`,
  );
  for (const error of row.firstErrors.slice(0, 3)) console.log(`  error: ${error}`);
  for (const failure of row.firstWriteFailures.slice(0, 3)) console.log(`  write refused: ${failure}`);
  for (const stale of row.firstStaleReads.slice(0, 3)) console.log(`  stale: ${JSON.stringify(stale)}`);
}
const table = tableOf(rows);
console.log(`\n${table}\n`);
const day = new Date().toISOString().slice(0, 10);
const file = new URL(`./results/frontend-${day}-${seconds}s${batch === "off" ? "-batch-off" : ""}.md`, import.meta.url);
await mkdir(new URL("./results/", import.meta.url), { recursive: true });
const goals = rows.map(
  (r) =>
    `- ${r.mode}: answered ≥ 99 %: ${r.answeredPercent >= 99 ? "yes" : "no"}; 0 stale reads: ${r.staleReads === 0 ? "yes" : "no"}; ` +
    `global API at most ${WINDOW_LIMIT / WINDOW_SECONDS}/s, so the budget lasts a whole window: ${r.globalPerSecond <= WINDOW_LIMIT / WINDOW_SECONDS ? "yes" : "no"}`,
);
await writeFile(
  file,
  `# bench frontend, ${new Date().toISOString()}\n\n${settings}.\n\n${table}\n\n${goals.join("\n")}\n\n` +
    `"answered %": answers without any error; "upstream 429": global calls past the window's 1,200; "(/s)": global calls per second over the run.\n\n` +
    `\`\`\`json\n${JSON.stringify({ users, seconds, images, thinkMs, writesPerSecond, batch, rows }, null, 2)}\n\`\`\`\n`,
);
console.log(`wrote ${file.pathname}`);
