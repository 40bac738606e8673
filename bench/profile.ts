// npm run bench -- profile [--scenario <name>] [--seconds <n>] [--floor]: one scenario of the default
// bench against one server process run with --cpu-prof, then a heap snapshot taken after the load
// has ended (what a request leaves behind). Writes bench/results/profile/.
import { mkdir, readdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { startEmulatorProcess } from "./lib/emulator-process.ts";
import { runLoad } from "./lib/load.ts";
import { FULL_SERVER_ENV, scenarios, seed } from "./lib/scenarios.ts";
import { startServerProcess } from "./lib/server-process.ts";

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    scenario: { type: "string", default: "stats" },
    seconds: { type: "string", default: "8" },
    connections: { type: "string", default: "50" },
    floor: { type: "boolean", default: false },
  },
});
const dir = new URL("./results/profile/", import.meta.url);
await mkdir(dir, { recursive: true });
const emulator = await startEmulatorProcess(["--latency-ms", "0"]);
const ids = await seed(emulator);
const scenario = scenarios(emulator, ids).find((s) => s.name === values.scenario);
if (!scenario) throw new Error(`no scenario named ${values.scenario}`);
const nodeArgs = [
  "--cpu-prof",
  "--cpu-prof-dir",
  dir.pathname,
  "--heapsnapshot-signal=SIGUSR2",
  "--diagnostic-dir",
  dir.pathname,
];
const server = values.floor
  ? await startServerProcess(emulator, nodeArgs, "bench/lib/floor-server.ts")
  : await startServerProcess(emulator, nodeArgs, "src/main.ts", undefined, FULL_SERVER_ENV);
const result = await runLoad(server.origin, scenario.facade, {
  connections: Number(values.connections),
  durationMs: Number(values.seconds) * 1000,
});
console.log(`${scenario.name}: ${result.requestsPerSecond.toFixed(0)} req/s, ${result.errors} errors`);
// Let timers and keep-alive sockets of the load run end, then snapshot what stays.
await new Promise((resolve) => setTimeout(resolve, 3000));
const before = new Set(await readdir(dir));
server.process.kill("SIGUSR2");
while ((await readdir(dir)).every((f) => before.has(f) || !f.endsWith(".heapsnapshot")))
  await new Promise((resolve) => setTimeout(resolve, 200));
await new Promise((resolve) => setTimeout(resolve, 2000));
await new Promise<void>((resolve) => {
  server.process.once("exit", () => resolve());
  server.process.kill("SIGTERM");
});
await emulator.stop();
console.log(`wrote ${dir.pathname}: ${(await readdir(dir)).join(", ")}`);
