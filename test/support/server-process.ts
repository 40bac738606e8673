import type { ChildProcess } from "node:child_process";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { serverProcessEnv, spawnServer, TEST_ENV } from "./spawn.ts";

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
  const child = spawnServer({ ...serverProcessEnv(emulator), ...TEST_ENV, ...env });
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
