import { createHash } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { GraphQLError } from "graphql";
import { createGraphQLError, createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Logger } from "pino";
import { type AuthSettings, createAuthenticator, type Viewer } from "./auth/index.ts";
import { useBlobRoute } from "./blob-route.ts";
import type { Config, UpstreamConfig } from "./config.ts";
import { type Context, createContext } from "./context.ts";
import { useGalleryRoute } from "./gallery-route.ts";
import { createLive } from "./live/index.ts";
import { unauthenticated, useAuthentication, viewerOf } from "./plugins/authentication.ts";
import { corsPolicy, useVaryOrigin } from "./plugins/cors.ts";
import { deferStreamPlugins } from "./plugins/defer-stream.ts";
import { useInputErrorCode, YOGA_INPUT_CODES } from "./plugins/input-error-code.ts";
import { limitPlugins } from "./plugins/limits.ts";
import type { Metrics } from "./plugins/metrics.ts";
import { createObservability } from "./plugins/observability.ts";
import { type OpsServerContext, useOpsAccess } from "./plugins/ops-access.ts";
import { useReadiness } from "./plugins/readiness.ts";
import { createLogger, yogaLogger } from "./plugins/request-log.ts";
import { createCursorCodec } from "./schema/cursor.ts";
import { upstreamErrorExtensions } from "./schema/errors.ts";
import { clientSchema, subgraphSchema } from "./schema/index.ts";
import { InMemoryTokenChainMemo } from "./schema/token-chain.ts";
import { useStreamingUploads } from "./uploads/use-streaming-uploads.ts";
import {
  createImagesApi,
  SharedBudget,
  Transport,
  type TransportEvent,
  UpstreamAuthenticationError,
  UpstreamError,
} from "./upstream/index.ts";

export const GRAPHIQL_DEFAULT_QUERY = `# Cloudflare Images over GraphQL. Press the run button (or Ctrl+Enter).
# Page on with: images(first: 5, after: "<endCursor>")
query NewestImages {
  images(first: 5) {
    edges {
      node {
        imageId
        filename
        creator
        uploaded
        requireSignedURLs
        meta
        url(variant: "public")
        variants {
          name
          url
          variant { options { fit width height } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
  stats { current allowed remaining }
}
`;

/** Where ordinary clients call: the client API of `schema/schema.graphql`, nothing of federation. */
export const CLIENT_PATH = "/graphql";
/** Where a federation gateway calls: the subgraph, with `_service` and `_entities`. */
export const SUBGRAPH_PATH = "/subgraph";

function isSubgraphRequest(request: Request): boolean {
  const { pathname } = new URL(request.url);
  return pathname === SUBGRAPH_PATH || pathname === `${SUBGRAPH_PATH}/`;
}

export interface App {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  transport: Transport;
  /** Absent when `METRICS=false`. */
  metrics: Metrics | undefined;
  /** Completes open subscriptions, whose answers would otherwise keep the server from closing. */
  endSubscriptions(): void;
  /** `force`: upstream calls still running are cut instead of awaited. */
  close(options?: { force?: boolean }): Promise<void>;
}

export interface AppOptions {
  onUpstreamEvent?: (e: TransportEvent) => void;
  /** Request logs and yoga's own messages; none when absent. */
  logger?: Logger;
}

/** The GraphQL application, with no side effects: tests can call `yoga.fetch` without a port. */
export function createApp(config: Config, upstream: UpstreamConfig, options: AppOptions = {}): App {
  const logger = options.logger ?? createLogger("silent");
  const budget = new SharedBudget({
    ...config.budget,
    accountId: upstream.accountId,
    onDegraded: (degraded) =>
      degraded
        ? logger.warn(
            "Redis is out of reach: this replica keeps to its share of the upstream budget (UPSTREAM_REPLICAS).",
          )
        : logger.info("Redis is back: the upstream budget is shared again."),
  });
  const observability = createObservability(config.observability, { logger, budget });
  const transport = new Transport({
    baseUrl: upstream.baseUrl,
    budget,
    batch:
      config.upstreamBatch === "auto" && upstream.batchBaseUrl
        ? { baseUrl: upstream.batchBaseUrl, accountId: upstream.accountId, token: upstream.token }
        : undefined,
    ...config.http,
    onEvent: (event) => {
      observability.onUpstreamEvent(event);
      options.onUpstreamEvent?.(event);
    },
  });
  // In `forward` mode a caller's own Cloudflare token; otherwise (and for readiness) the server's.
  const apiFor = (token?: string, caller?: string) =>
    createImagesApi(transport, upstream.accountId, token ?? upstream.token, caller);
  const serverApi = apiFor();
  const authenticate = createAuthenticator(config.auth);
  const { limits } = config;
  // Keyed by the server's own upstream token, so every replica of one deployment reads the others' cursors.
  const pagination = { cursors: createCursorCodec(upstream.token), memo: new InMemoryTokenChainMemo() };
  const live = createLive(config.live);
  const yoga = createYoga<Record<string, never>, Context>({
    schema: ({ request }) => (isSubgraphRequest(request) ? subgraphSchema : clientSchema),
    context: (initial) => {
      const { request } = initial;
      const viewer = viewerOf(request);
      const api = apiFor(
        viewer.upstreamToken,
        callerOf(viewer, config.auth.mode, initial as { req?: IncomingMessage }),
      );
      return createContext({
        api,
        config,
        viewer,
        signal: request.signal,
        pagination,
        live,
        onLoaderCacheHit: observability.onLoaderCacheHit,
      });
    },
    graphqlEndpoint: `/:endpoint(${CLIENT_PATH.slice(1)}|${SUBGRAPH_PATH.slice(1)})`,
    healthCheckEndpoint: "/health",
    landingPage: false,
    cors: corsPolicy(config.cors),
    graphiql: (request) =>
      limits.graphiql &&
      !isSubgraphRequest(request) && { title: "Cloudflare Images GraphQL", defaultQuery: GRAPHIQL_DEFAULT_QUERY },
    // The GraphiQL bundle served from this process, not from a CDN: works offline and behind strict egress.
    // Loaded on the first page view only: its inline bundle costs about 50 MB of memory.
    renderGraphiQL: async (options) => (await import("@graphql-yoga/render-graphiql")).renderGraphiQL(options),
    maskedErrors: { maskError: (error, message) => maskError(error, message, config.auth.mode === "forward") },
    logging: yogaLogger(logger.child({ component: "yoga" })),
    // Uploads are parsed by useStreamingUploads, which does not hold files in memory as yoga's parser does.
    multipart: false,
    plugins: [
      useOpsAccess(config.ops),
      useVaryOrigin(),
      ...observability.plugins,
      ...limitPlugins(limits),
      useInputErrorCode(),
      ...deferStreamPlugins(),
      useAuthentication(authenticate),
      useStreamingUploads({
        maxFiles: 10,
        maxFieldBytes: limits.maxBodyBytes,
        maxBodyBytes: limits.maxUploadBytes + limits.maxBodyBytes,
        idleTimeoutMs: limits.uploadIdleTimeoutMs,
      }),
      useBlobRoute({
        authenticate,
        apiFor: (viewer) => apiFor(viewer.upstreamToken, callerOf(viewer, config.auth.mode, {})),
      }),
      useReadiness({ api: serverApi, budget, cacheSeconds: config.observability.readinessCacheSeconds }),
      ...(limits.graphiql ? [useGalleryRoute()] : []),
    ],
  });
  return {
    yoga,
    transport,
    metrics: observability.metrics,
    endSubscriptions: () => live.endStreams(),
    close: async ({ force = false } = {}) => {
      await live.close();
      await transport.close({ force });
      await budget.close();
      await observability.close();
    },
  };
}

/**
 * Who spends the upstream budget, for fair shares: the API key's name or the JWT's subject; with
 * auth off, the client's address; in `forward` mode, a fingerprint of the caller's own token.
 */
function callerOf(
  viewer: Viewer,
  mode: AuthSettings["mode"],
  serverContext: { req?: IncomingMessage },
): string | undefined {
  if (mode === "forward")
    return `token:${createHash("sha256")
      .update(viewer.upstreamToken ?? "")
      .digest("base64url")
      .slice(0, 16)}`;
  if (mode === "none") {
    const address = serverContext.req?.socket.remoteAddress;
    return address === undefined ? undefined : `address:${address}`;
  }
  return `${mode}:${viewer.name}`;
}

/**
 * Upstream failures get their firm code; anything unexpected is masked, never explained. In
 * `forward` mode the upstream judges the caller's own token, so its refusal is UNAUTHENTICATED.
 */
function maskError(error: unknown, message: string, forward: boolean): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const graphqlError = error instanceof GraphQLError ? error : undefined;
  const location = {
    nodes: graphqlError?.nodes,
    path: graphqlError?.path,
    source: graphqlError?.source,
    positions: graphqlError?.positions,
  };
  if (forward && original instanceof UpstreamAuthenticationError) {
    return unauthenticated("Cloudflare Images refused your token.");
  }
  if (original instanceof UpstreamError) {
    const mapped = upstreamErrorExtensions(original);
    return createGraphQLError(mapped.message, { ...location, extensions: mapped.extensions });
  }
  if (graphqlError && (original === undefined || original instanceof GraphQLError)) {
    const code = graphqlError.extensions.code;
    if (code && !YOGA_INPUT_CODES.has(String(code))) return graphqlError;
    // Parse, validation and variable errors: the caller's document is at fault.
    return createGraphQLError(graphqlError.message, {
      ...location,
      extensions: { ...graphqlError.extensions, code: "BAD_USER_INPUT" },
    });
  }
  return createGraphQLError(message, { ...location, extensions: { code: "INTERNAL_SERVER_ERROR" } });
}

export interface RunningServer {
  url: URL;
  server: Server;
  /** The ops listener's URL (`/metrics`, `/readiness`, `/health`), when it runs. */
  opsUrl: URL | undefined;
  /**
   * Stops accepting, lets in-flight requests finish, then closes the upstream pool. Past
   * `timeoutMs`, the connections still open are closed and upstream calls cut (and `onForced` told).
   */
  close(options?: { timeoutMs?: number; onForced?: () => void }): Promise<void>;
}

const SHUTTING_DOWN = JSON.stringify({ errors: [{ message: "The server is shutting down: retry the request." }] });

export async function startServer(
  app: App,
  options: { host: string; port: number; ops?: { host: string; port: number } | undefined },
): Promise<RunningServer> {
  let closing = false;
  // A request that arrives on a kept-alive connection after shutdown began is refused, not started.
  const refusingWhenClosing =
    (handle: (request: IncomingMessage, response: ServerResponse) => void) =>
    (request: IncomingMessage, response: ServerResponse) => {
      if (!closing) return handle(request, response);
      response.writeHead(503, { "content-type": "application/json", connection: "close", "retry-after": "1" });
      response.end(SHUTTING_DOWN);
    };
  const server = createHttpServer(refusingWhenClosing((request, response) => void app.yoga(request, response)));
  const url = await listen(server, options);
  // The same app, its requests marked as the ops listener's: useOpsAccess lets only them reach /metrics and /readiness.
  const opsContext: OpsServerContext = { opsListener: true };
  const opsServer =
    options.ops &&
    createHttpServer(refusingWhenClosing((request, response) => void app.yoga(request, response, opsContext as never)));
  const opsUrl = opsServer && options.ops ? await listen(opsServer, options.ops) : undefined;
  const servers = opsServer ? [server, opsServer] : [server];
  return {
    url,
    server,
    opsUrl,
    close: async ({ timeoutMs = Number.POSITIVE_INFINITY, onForced } = {}) => {
      closing = true;
      const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      // A connection whose last response has just been written (or a subscription just completed) is idle
      // from then on: close it too.
      const sweep = setInterval(() => {
        for (const s of servers) s.closeIdleConnections();
      }, 50);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((resolve) => {
        if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve(false), timeoutMs);
      });
      for (const s of servers) s.closeIdleConnections();
      app.endSubscriptions();
      const inTime = await Promise.race([closed.then(() => true as const), late]);
      clearInterval(sweep);
      clearTimeout(timer);
      if (!inTime) {
        onForced?.();
        for (const s of servers) s.closeAllConnections();
        await closed;
      }
      await app.close({ force: !inTime });
    },
  };
}

async function listen(server: Server, options: { host: string; port: number }): Promise<URL> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return new URL(`http://${host}:${address.port}`);
}
