import type { ChildProcess } from "node:child_process";
import { serverProcessEnv, spawnServer, type Upstream } from "../../test/support/spawn.ts";

export interface BenchServer {
  process: ChildProcess;
  pid: number;
  origin: string;
}

/** As `npm start` and the container image run the server (young generation kept small). */
export const SERVER_NODE_ARGS = ["--max-semi-space-size=8"];

export type { Upstream };

/** The environment of a server with real-account settings over `emulator`, with a budget no benchmark spends. */
export function serverEnv(emulator: Upstream): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // As the container image runs it (graphql-js, for one, checks every instanceof twice otherwise).
    NODE_ENV: "production",
    // The facade-vs-REST comparison calls the global API on both sides (UPSTREAM_BATCH=off); `bench capacity` measures the batch host.
    ...serverProcessEnv(emulator),
    // Its sweeps would add upstream calls to every scenario; `bench catalogue` turns it on.
    CATALOGUE: "off",
  };
}

/**
 * `src/main.ts` (or `entry`) as a process against `emulator`, with a budget no benchmark spends.
 * Its output after the start line goes to `onOutput`, or is dropped. `env` is added to (or, with
 * `undefined` values, taken from) the environment of `serverEnv`.
 */
export async function startServerProcess(
  emulator: Upstream,
  nodeArgs: string[] = SERVER_NODE_ARGS,
  entry = "src/main.ts",
  onOutput?: (chunk: string) => void,
  env: NodeJS.ProcessEnv = {},
): Promise<BenchServer> {
  const child = spawnServer(
    { ...serverEnv(emulator), ...env },
    { nodeArgs, entry, stdio: ["ignore", "pipe", "inherit"] },
  );
  const origin = await startLine(child, onOutput);
  return { process: child, pid: child.pid as number, origin };
}

/**
 * The origin a server process prints in its start line. From then on its request log lines are read
 * and handed to `onOutput` or dropped, as a log shipper would take them; an exit before it is an error.
 */
export function startLine(child: ChildProcess, onOutput?: (chunk: string) => void): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = "";
    const early = (code: number | null) => reject(new Error(`server exited with ${code}: ${out}`));
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /GraphiQL: (http:\/\/[^/\s]+)\/graphql/.exec(out);
      if (!match?.[1]) return;
      child.stdout?.off("data", read);
      child.off("exit", early);
      if (onOutput) child.stdout?.on("data", (more: Buffer) => onOutput(more.toString()));
      else child.stdout?.resume();
      resolve(match[1]);
    };
    child.stdout?.on("data", read);
    child.once("exit", early);
  });
}
