import { type ChildProcess, spawn } from "node:child_process";
import type { RunningEmulator } from "../../src/emulator/index.ts";

export interface ServerProcess {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  process: ChildProcess;
  /** The exit code, or the signal name that ended it. */
  exited: Promise<number | string | null>;
  /** Everything the process wrote on stdout and stderr so far. */
  output(): string;
  /** Each JSON log line the process wrote so far, parsed (other lines skipped). */
  logLines(): Record<string, unknown>[];
  /** True while the process runs. */
  alive(): boolean;
}

const running = new Set<ChildProcess>();

/**
 * `src/main.ts` as a process, as it runs in production, pointed at `emulator` and with an
 * unhandled rejection fatal: a test that survives proves no path leaves one behind.
 */
export async function startServerProcess(
  emulator: RunningEmulator,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--unhandled-rejections=strict", "src/main.ts"], {
    env: {
      PATH: process.env.PATH ?? "",
      PORT: "0",
      HOST: "127.0.0.1",
      // Real credentials open the ops listener, by default on 9464: processes started side by side would collide.
      OPS_PORT: "0",
      CLOUDFLARE_API_TOKEN: emulator.token,
      CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
      CLOUDFLARE_API_BASE_URL: emulator.baseUrl,
      CLOUDFLARE_BATCH_BASE_URL: emulator.batchBaseUrl,
      // Most tests count calls to the global API's routes; a test about the batch host turns it on.
      UPSTREAM_BATCH: "off",
      // And the upstream calls each request costs: a test about the entity cache turns it on.
      CACHE: "off",
      // And the catalogue's sweeps would add calls of their own: a test about it turns it on.
      CATALOGUE: "off",
      AUTH_MODE: "none",
      ALLOW_UNAUTHENTICATED: "true",
      UPSTREAM_BUDGET: "1000000",
      UPSTREAM_RETRY_BASE_DELAY_MS: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | string | null>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal);
    }),
  );
  const origin = await Promise.race([
    new Promise<string>((resolve) => {
      const timer = setInterval(() => {
        const match = /GraphiQL: (http:\/\/[^/\s]+)\/graphql/.exec(output);
        if (match?.[1]) {
          clearInterval(timer);
          resolve(match[1]);
        }
      }, 20);
      void exited.then(() => clearInterval(timer));
    }),
    exited.then((code) => Promise.reject(new Error(`server exited with ${code}: ${output}`))),
  ]);
  return {
    origin,
    process: child,
    exited,
    output: () => output,
    logLines: () =>
      output
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

/** Kills every server process a test left running (for `afterEach`). */
export function killServerProcesses(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/** POSTs a GraphQL document; the parsed body and status. */
export async function postGraphQL<T = Record<string, unknown>>(
  origin: string,
  query: string,
  variables: Record<string, unknown> = {},
  init: { signal?: AbortSignal; headers?: Record<string, string> } = {},
): Promise<{
  status: number;
  body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
}> {
  const response = await fetch(`${origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...init.headers },
    body: JSON.stringify({ query, variables }),
    signal: init.signal,
  });
  return { status: response.status, body: (await response.json()) as never };
}
