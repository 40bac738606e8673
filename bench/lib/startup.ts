import { performance } from "node:perf_hooks";
import { spawnServer } from "../../test/support/spawn.ts";
import { rssSplitMb } from "./proc.ts";
import { SERVER_NODE_ARGS, serverEnv, startLine, type Upstream } from "./server-process.ts";

export interface Startup {
  /** Median of the runs: from spawning `node src/main.ts` to the first answer of a GraphQL query. */
  firstAnswerMs: number;
  /** Median resident memory a second after that first answer. */
  idleRssMb: number;
  /** The same, without the mapped files (the node binary's pages, shared by every Node process). */
  idleAnonMb: number;
  runs: { firstAnswerMs: number; idleRssMb: number; idleAnonMb: number }[];
}

/**
 * Starts the server `runs` times, each time polling it with `{ __typename }` from the moment its
 * port is known. Without `upstream`, it runs on its embedded emulator (no Cloudflare credentials).
 */
export async function measureStartup(
  upstream: Upstream | undefined,
  runs: number,
  env: NodeJS.ProcessEnv,
  authorization: string | undefined,
): Promise<Startup> {
  const all: Startup["runs"] = [];
  for (let i = 0; i < runs; i++) all.push(await startOnce(upstream, env, authorization));
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return {
    firstAnswerMs: median(all.map((r) => r.firstAnswerMs)),
    idleRssMb: median(all.map((r) => r.idleRssMb)),
    idleAnonMb: median(all.map((r) => r.idleAnonMb)),
    runs: all,
  };
}

async function startOnce(upstream: Upstream | undefined, env: NodeJS.ProcessEnv, authorization: string | undefined) {
  const base = upstream
    ? serverEnv(upstream)
    : withoutCredentials(serverEnv({ token: "", accountId: "", baseUrl: "", batchBaseUrl: "" }));
  const started = performance.now();
  const child = spawnServer({ ...base, ...env }, { nodeArgs: SERVER_NODE_ARGS, stdio: ["ignore", "pipe", "inherit"] });
  try {
    const origin = await startLine(child);
    let firstAnswerMs: number | undefined;
    while (firstAnswerMs === undefined) {
      const response = await fetch(`${origin}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ query: "{ __typename }" }),
      }).catch(() => undefined);
      if (response?.ok) firstAnswerMs = performance.now() - started;
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idle = await rssSplitMb(child.pid as number);
    return { firstAnswerMs, idleRssMb: idle.rss, idleAnonMb: idle.anon };
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }
}

function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const {
    CLOUDFLARE_API_TOKEN: _token,
    CLOUDFLARE_ACCOUNT_ID: _account,
    CLOUDFLARE_API_BASE_URL: _base,
    CLOUDFLARE_BATCH_BASE_URL: _batch,
    ...rest
  } = env;
  return rest;
}
