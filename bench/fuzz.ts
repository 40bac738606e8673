// npm run bench -- fuzz [--requests <n>] [--seed <n>]: n generated hostile or broken requests (default
// 10,000) against one server process over the emulator. Passes with no answer of 500 or more, every
// error carrying a contract code, the process alive and the account's data unchanged.
import { parseArgs } from "node:util";
import { startEmulator } from "../src/emulator/index.ts";
import { runFuzz } from "../test/support/fuzz.ts";
import { startServerProcess } from "./lib/server-process.ts";

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    requests: { type: "string", default: "10000" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    concurrency: { type: "string", default: "16" },
  },
});
const count = Number(values.requests);
const seed = Number(values.seed);
const concurrency = Number(values.concurrency);

const emulator = await startEmulator({ host: "127.0.0.1", port: 0, seed: true });
await fetch(`${emulator.origin}/__emulator/images`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ count: 30 }),
});
const server = await startServerProcess(emulator, ["--unhandled-rejections=strict"]);
let exitCode: number | null = null;
server.process.once("exit", (code) => {
  exitCode = code ?? 1;
});
const started = performance.now();
const report = await runFuzz(server.origin, emulator, { seed, count, concurrency });
const seconds = Math.round((performance.now() - started) / 100) / 10;
const byStatus: Record<number, number> = {};
for (const statuses of Object.values(report.statuses)) {
  for (const [status, n] of Object.entries(statuses)) byStatus[Number(status)] = (byStatus[Number(status)] ?? 0) + n;
}
console.log(
  `fuzz: ${report.requests} requests (seed ${seed}, ${Object.keys(report.statuses).length} kinds) in ${seconds} s`,
);
console.log(`answers by status: ${JSON.stringify(byStatus)}`);
console.log(
  `failures: ${report.failures.length}; data unchanged: ${report.dataUnchanged}; server alive: ${exitCode === null}`,
);
for (const failure of report.failures.slice(0, 20)) console.log(`  ${failure}`);
const passed = report.failures.length === 0 && report.dataUnchanged && exitCode === null;
server.process.kill("SIGTERM");
await emulator.close();
process.exit(passed ? 0 : 1);
