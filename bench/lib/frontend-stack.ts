// What `bench frontend` runs its users against: an emulated account under Cloudflare's real limits,
// and facade processes started with nothing but their credentials and the settings under test, so
// every other setting (budget, batch host, caller share) is the default a new user gets.
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { startTestEmulator, type TestEmulator } from "../../test/support/emulator.ts";
import { serverProcessEnv, spawnServer } from "../../test/support/spawn.ts";
import { startLine } from "./server-process.ts";

/** A network's worth of latency on every upstream call. */
const UPSTREAM_LATENCY_MS = 20;

export interface Account {
  emulator: TestEmulator;
  /** The images the account starts with, each with revision 0 (no `rev` in its metadata). */
  ids: string[];
}

/** A fresh emulator (a fresh rate-limit window) holding `images` images and the gallery's two variants. */
export async function startAccount(images: number): Promise<Account> {
  const emulator = await startTestEmulator({ rateLimit: true, latencyMs: UPSTREAM_LATENCY_MS });
  const created = await emulator.admin("POST", "/images", { count: images });
  const { ids } = (await created.json()) as { ids: string[] };
  for (const [id, width] of [
    ["thumb", 320],
    ["hero", 1600],
  ] as const) {
    const answer = await emulator.api("POST", "/v1/variants", {
      json: { id, options: { fit: "scale-down", metadata: "none", width, height: width } },
    });
    if (answer.status !== 200) throw new Error(`creating the variant ${id} failed: ${JSON.stringify(answer.body)}`);
  }
  // The set-up's calls spent none of the run's window.
  await emulator.reset();
  return { emulator, ids };
}

export interface Facade {
  origin: string;
  process: ChildProcess;
  /** The last few KB the process wrote on stderr, for a crash report. */
  stderr(): string;
}

/** `count` facade processes over `emulator`, as replicas behind a load balancer. */
export function startFacades(emulator: TestEmulator, count: number, env: Record<string, string>): Promise<Facade[]> {
  return Promise.all(Array.from({ length: count }, () => startFacade(emulator, env)));
}

async function startFacade(emulator: TestEmulator, env: Record<string, string>): Promise<Facade> {
  const child = spawnServer({
    // Browsers of a public gallery: no login (AUTH_MODE=none); each user is told apart by its address.
    ...serverProcessEnv(emulator),
    // The default budget and batch host a new user gets, unless the mode under test sets them.
    UPSTREAM_BATCH: undefined,
    UPSTREAM_BUDGET: undefined,
    ...env,
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const origin = await startLine(child).catch((error: Error) => {
    throw new Error(`facade: ${error.message}${stderr}`);
  });
  return { origin, process: child, stderr: () => stderr };
}

/** Stops the facades; a facade that died before this is an error of the run. */
export async function stopFacades(facades: readonly Facade[]): Promise<string[]> {
  const crashes: string[] = [];
  await Promise.all(
    facades.map(async (facade) => {
      const { process: child } = facade;
      if (child.exitCode !== null || child.signalCode !== null) {
        crashes.push(
          `facade ${facade.origin} exited early (${child.exitCode ?? child.signalCode}): ${facade.stderr()}`,
        );
        return;
      }
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
  return crashes;
}

export interface UpstreamCalls {
  /** Calls to the global API, the ones the 1,200 per 5 minutes limit counts (refused ones too). */
  global: number;
  /** Calls to the batch host (limited per batch token per second instead). */
  batch: number;
  byRoute: Record<string, number>;
}

/** The emulator's counters since the set-up: what the facades asked of the upstream. */
export async function upstreamCalls(emulator: TestEmulator): Promise<UpstreamCalls> {
  const byRoute = await emulator.counts();
  let global = 0;
  let batch = 0;
  for (const [key, count] of Object.entries(byRoute)) {
    const route = key.slice(key.indexOf(" ") + 1);
    if (route.startsWith("/batch/")) batch += count;
    else if (route.startsWith("/accounts/")) global += count;
  }
  return { global, batch, byRoute };
}
