import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import type { RunningEmulator } from "../../src/emulator/index.ts";

/**
 * The settings every test server starts with unless its test says otherwise: in process
 * (`useTestStack`, `useInProcessStack`) and as a process (`startServerProcess`).
 */
export const TEST_ENV: Readonly<Record<string, string>> = {
  // Retries without waiting: a test about back-off sets its own delay.
  UPSTREAM_RETRY_BASE_DELAY_MS: "1",
  // Most tests count calls to the global API's routes; a test about the batch host turns it on.
  UPSTREAM_BATCH: "off",
  // And the upstream calls each request costs: a test about the entity cache turns it on.
  CACHE: "off",
  // The catalogue's sweeps would add calls of their own: a test about the catalogue turns it on.
  CATALOGUE: "off",
};

/** What a server needs of an emulator to call it as it would call Cloudflare. */
export type Upstream = Pick<RunningEmulator, "token" | "accountId" | "baseUrl" | "batchBaseUrl">;

/**
 * The environment of `src/main.ts` as a process over `emulator`, for tests and benchmarks alike:
 * real-account settings on random ports, open to every caller, with a budget no run spends.
 */
export function serverProcessEnv(emulator: Upstream): Record<string, string> {
  return {
    CLOUDFLARE_API_TOKEN: emulator.token,
    CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
    CLOUDFLARE_API_BASE_URL: emulator.baseUrl,
    CLOUDFLARE_BATCH_BASE_URL: emulator.batchBaseUrl,
    PORT: "0",
    HOST: "127.0.0.1",
    // Real credentials open the ops listener, by default on 9464: processes started side by side would collide.
    OPS_PORT: "0",
    AUTH_MODE: "none",
    ALLOW_UNAUTHENTICATED: "true",
    UPSTREAM_BUDGET: "1000000",
    UPSTREAM_BATCH: "off",
  };
}

export interface SpawnServerOptions {
  /** Node flags before the entry (e.g. `--max-semi-space-size=8`, `--cpu-prof`). */
  nodeArgs?: readonly string[];
  /** `src/main.ts` unless a benchmark runs another server (the framework floor). */
  entry?: string;
  stdio?: StdioOptions;
}

/**
 * `src/main.ts` (or `entry`) as a process on the project's Node (the one running this code), with
 * an unhandled rejection fatal: a run that survives proves no path leaves one behind. `env` is the
 * whole environment besides `PATH`; keys set to `undefined` are left out.
 */
export function spawnServer(env: NodeJS.ProcessEnv, options: SpawnServerOptions = {}): ChildProcess {
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
  return spawn(
    process.execPath,
    ["--unhandled-rejections=strict", ...(options.nodeArgs ?? []), options.entry ?? "src/main.ts"],
    {
      env: { PATH: process.env.PATH ?? "", ...defined },
      stdio: options.stdio ?? ["ignore", "pipe", "pipe"],
    },
  );
}
