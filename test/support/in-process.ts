import type { Logger } from "pino";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/index.ts";
import type { EmulatorOptions } from "../../src/emulator/index.ts";
import type { TransportEvent } from "../../src/upstream/index.ts";
import { createInProcessTestEmulator } from "./emulator.ts";
import { InProcessDispatcher } from "./in-process-dispatcher.ts";
import { graphQLPost, readGraphQL, type StackClient, useStack } from "./server.ts";
import { TEST_ENV } from "./spawn.ts";

/**
 * The real server's GraphQL app over the real emulator, both in this process and without a port:
 * documents go to `yoga.fetch`, and the transport's upstream calls go to the emulator's own handler
 * through an undici dispatcher instead of a socket. For tests of the schema; what is about HTTP
 * connections, processes, replicas or shutdown uses `useTestStack` or `startServerProcess`.
 */
export type InProcessStack = StackClient;

export interface InProcessStackOptions {
  emulator?: EmulatorOptions;
  env?: Record<string, string>;
  /** The token the server presents upstream; the emulator's own by default. */
  upstreamToken?: string;
  logger?: Logger;
  onUpstreamEvent?: (event: TransportEvent) => void;
}

type SharedOptions = InProcessStackOptions & { resetEmulatorBeforeEach?: boolean };

/** The in-process stack one test file shares, with the hooks of `useTestStack`. */
export function useInProcessStack(options: SharedOptions | (() => SharedOptions) = {}): InProcessStack {
  return useStack(startInProcessStack, options);
}

export async function startInProcessStack(options: InProcessStackOptions = {}): Promise<InProcessStack> {
  const emulator = await createInProcessTestEmulator(options.emulator);
  const config = loadConfig({ ...TEST_ENV, ...options.env });
  const app = createApp(
    config,
    {
      baseUrl: emulator.baseUrl,
      batchBaseUrl: emulator.batchBaseUrl,
      accountId: emulator.accountId,
      token: options.upstreamToken ?? emulator.token,
    },
    {
      logger: options.logger,
      onUpstreamEvent: options.onUpstreamEvent,
      upstreamDispatcher: (origin) => new InProcessDispatcher(origin, emulator.fetch),
    },
  );
  const send = async (path: string, init: RequestInit = {}) =>
    app.yoga.fetch(new URL(path, "http://server.invalid"), init);
  return {
    emulator,
    app,
    config,
    gql: async (query, variables, headers, path) =>
      readGraphQL(await send(path ?? "/graphql", graphQLPost(query, variables, headers))),
    fetch: send,
    async close() {
      await app.close();
      await emulator.close();
    },
  };
}
