import type { Logger } from "pino";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type App, createApp } from "../../src/app.ts";
import { type Config, loadConfig } from "../../src/config/index.ts";
import type { EmulatorOptions } from "../../src/emulator/index.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { startTestEmulator, type TestEmulator } from "./emulator.ts";
import { TEST_ENV } from "./spawn.ts";

export interface GraphQLAnswer<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  /** The raw body text, for scanning it for secrets. */
  text: string;
}

/** What a test talks to, in process or over a socket: the emulator, the app and a GraphQL client. */
export interface StackClient {
  emulator: TestEmulator;
  /** The app the server runs, for what a test must reach inside it (its change events). */
  app: App;
  config: Config;
  /**
   * Sends a GraphQL document to /graphql (with extra headers, e.g. Authorization); `path: "/subgraph"`
   * for what a federation gateway sends.
   */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
    path?: string,
  ): Promise<GraphQLAnswer<T>>;
  /** Sends any HTTP request to the server, at `path`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** A real server on a port over a real emulator. */
export interface TestStack extends StackClient {
  server: RunningServer;
}

export interface TestStackOptions {
  emulator?: EmulatorOptions;
  env?: Record<string, string>;
  upstreamBaseUrl?: string;
  /** The token the server presents upstream; the emulator's own by default. */
  upstreamToken?: string;
  /** Receives the request logs (none by default). */
  logger?: Logger;
}

type SharedStackOptions = TestStackOptions & { resetEmulatorBeforeEach?: boolean };

/**
 * The stack one test file shares: started before its first test, closed after its last, and with
 * `resetEmulatorBeforeEach` the emulator's counters, faults and latency cleared before each test.
 * Hooks the file registers after this call run once the stack is up. Options given as a function
 * are read when the stack starts, after the hooks registered before this call.
 */
export function useTestStack(options: SharedStackOptions | (() => SharedStackOptions) = {}): TestStack {
  return useStack(startTestStack, options);
}

/** The hooks of `useTestStack`, for any stack with an emulator (`useInProcessStack` too). */
export function useStack<S extends { emulator: TestEmulator; close(): Promise<void> }, O extends object>(
  start: (options: O) => Promise<S>,
  options: (O & { resetEmulatorBeforeEach?: boolean }) | (() => O & { resetEmulatorBeforeEach?: boolean }),
): S {
  let started: S | undefined;
  const read = typeof options === "function" ? options : () => options;
  beforeAll(async () => {
    started = await start(read());
  });
  afterAll(() => started?.close());
  beforeEach(async () => {
    if (read().resetEmulatorBeforeEach) await started?.emulator.reset();
  });
  return new Proxy({} as S, {
    get(_, key) {
      if (!started) throw new Error("The test stack is not started yet: use it inside hooks and tests.");
      return Reflect.get(started, key);
    },
  });
}

/** A real emulator and a real server on 127.0.0.1 random ports, the server pointed at the emulator. */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const emulator = await startTestEmulator(options.emulator);
  const config = loadConfig({ ...TEST_ENV, ...options.env });
  const app = createApp(
    config,
    {
      baseUrl: options.upstreamBaseUrl ?? emulator.baseUrl,
      batchBaseUrl: emulator.batchBaseUrl,
      accountId: emulator.accountId,
      token: options.upstreamToken ?? emulator.token,
    },
    { logger: options.logger },
  );
  // The ops listener, when configured, on a random port too.
  const ops = config.ops.port === undefined ? undefined : { host: "127.0.0.1", port: 0 };
  const server = await startServer(app, { host: "127.0.0.1", port: 0, ops });
  return {
    emulator,
    server,
    app,
    config,
    gql: (query, variables, headers, path) =>
      postGraphQL(new URL(path ?? "/graphql", server.url), query, variables, headers),
    fetch: (path, init) => fetch(new URL(path, server.url), init),
    async close() {
      await server.close();
      await emulator.close();
    },
  };
}

/** POSTs a GraphQL document as a frontend does and parses the answer. */
export async function postGraphQL<T = Record<string, unknown>>(
  url: URL,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLAnswer<T>> {
  return readGraphQL<T>(await fetch(url, graphQLPost(query, variables, headers)));
}

/** The request a frontend sends for one GraphQL document. */
export function graphQLPost(
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  };
}

export async function readGraphQL<T = Record<string, unknown>>(response: Response): Promise<GraphQLAnswer<T>> {
  const text = await response.text();
  const body = JSON.parse(text) as Omit<GraphQLAnswer<T>, "status" | "text">;
  return { status: response.status, text, ...body };
}
