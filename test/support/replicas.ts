import { type App, createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/index.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import type { TransportEvent } from "../../src/upstream/index.ts";
import type { TestEmulator } from "./emulator.ts";
import { type GraphQLAnswer, postGraphQL } from "./server.ts";
import { TEST_ENV } from "./spawn.ts";

/** One server process's worth of app, listening on its own port, with its upstream calls recorded. */
export interface Replica {
  app: App;
  server: RunningServer;
  /** Every transport event since the start (or the last `events.length = 0`). */
  events: TransportEvent[];
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLAnswer<T>>;
}

/** `count` identical replicas over one emulator, as a load balancer would see them. */
export async function startReplicas(
  emulator: TestEmulator,
  count: number,
  env: Record<string, string> = {},
): Promise<Replica[]> {
  // Replicas call the batch host as production does: the capacity tests measure it.
  const config = loadConfig({ ...TEST_ENV, UPSTREAM_BATCH: "auto", ...env });
  const upstream = {
    baseUrl: emulator.baseUrl,
    batchBaseUrl: emulator.batchBaseUrl,
    accountId: emulator.accountId,
    token: emulator.token,
  };
  return Promise.all(
    Array.from({ length: count }, async () => {
      const events: TransportEvent[] = [];
      const app = createApp(config, upstream, { onUpstreamEvent: (event) => events.push(event) });
      const server = await startServer(app, { host: "127.0.0.1", port: 0 });
      const url = new URL("/graphql", server.url);
      return { app, server, events, gql: (query, variables, headers) => postGraphQL(url, query, variables, headers) };
    }),
  );
}

export async function closeReplicas(replicas: readonly Replica[]): Promise<void> {
  await Promise.all(replicas.map((replica) => replica.server.close()));
}

/** Answers of the emulator by status, over every replica's events. */
export function upstreamStatuses(replicas: readonly Replica[], host?: "global" | "batch"): Record<number, number> {
  const statuses: Record<number, number> = {};
  for (const replica of replicas) {
    for (const event of replica.events) {
      if (event.type !== "response" || (host && event.host !== host)) continue;
      statuses[event.status] = (statuses[event.status] ?? 0) + 1;
    }
  }
  return statuses;
}
