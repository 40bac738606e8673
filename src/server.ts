import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GraphQLError } from "graphql";
import { createGraphQLError, createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Logger } from "pino";
import { createAuthenticator } from "./auth/index.ts";
import { useBlobRoute } from "./blob-route.ts";
import type { Config, UpstreamConfig } from "./config.ts";
import { type Context, createContext } from "./context.ts";
import { unauthenticated, useAuthentication, viewerOf } from "./plugins/authentication.ts";
import { useInputErrorCode, YOGA_INPUT_CODES } from "./plugins/input-error-code.ts";
import { limitPlugins } from "./plugins/limits.ts";
import type { Metrics } from "./plugins/metrics.ts";
import { createObservability } from "./plugins/observability.ts";
import { useReadiness } from "./plugins/readiness.ts";
import { createLogger, yogaLogger } from "./plugins/request-log.ts";
import { upstreamErrorExtensions } from "./schema/errors.ts";
import { schema } from "./schema/index.ts";
import { useStreamingUploads } from "./uploads/use-streaming-uploads.ts";
import {
  createImagesApi,
  RequestBudget,
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

export interface App {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  transport: Transport;
  /** Absent when `METRICS=false`. */
  metrics: Metrics | undefined;
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
  const budget = new RequestBudget(config.budget);
  const observability = createObservability(config.observability, { logger, budget });
  const transport = new Transport({
    baseUrl: upstream.baseUrl,
    budget,
    ...config.http,
    onEvent: (event) => {
      observability.onUpstreamEvent(event);
      options.onUpstreamEvent?.(event);
    },
  });
  // In `forward` mode a caller's own Cloudflare token; otherwise (and for readiness) the server's.
  const apiFor = (token?: string) => createImagesApi(transport, upstream.accountId, token ?? upstream.token);
  const serverApi = apiFor();
  const authenticate = createAuthenticator(config.auth);
  const { limits } = config;
  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    context: ({ request }) => {
      const viewer = viewerOf(request);
      const api = apiFor(viewer.upstreamToken);
      return createContext({
        api,
        config,
        viewer,
        signal: request.signal,
        onLoaderCacheHit: observability.onLoaderCacheHit,
      });
    },
    graphqlEndpoint: "/graphql",
    healthCheckEndpoint: "/health",
    landingPage: false,
    graphiql: limits.graphiql && { title: "Cloudflare Images GraphQL", defaultQuery: GRAPHIQL_DEFAULT_QUERY },
    // The GraphiQL bundle served from this process, not from a CDN: works offline and behind strict egress.
    // Loaded on the first page view only: its inline bundle costs about 50 MB of memory.
    renderGraphiQL: async (options) => (await import("@graphql-yoga/render-graphiql")).renderGraphiQL(options),
    maskedErrors: { maskError: (error, message) => maskError(error, message, config.auth.mode === "forward") },
    logging: yogaLogger(logger.child({ component: "yoga" })),
    // Uploads are parsed by useStreamingUploads, which does not hold files in memory as yoga's parser does.
    multipart: false,
    plugins: [
      ...observability.plugins,
      ...limitPlugins(limits),
      useInputErrorCode(),
      useAuthentication(authenticate),
      useStreamingUploads({
        maxFiles: 10,
        maxFieldBytes: limits.maxBodyBytes,
        maxBodyBytes: limits.maxUploadBytes + limits.maxBodyBytes,
      }),
      useBlobRoute({ authenticate, apiFor: (viewer) => apiFor(viewer.upstreamToken) }),
      useReadiness({ api: serverApi, budget, cacheSeconds: config.observability.readinessCacheSeconds }),
    ],
  });
  return {
    yoga,
    transport,
    metrics: observability.metrics,
    close: async ({ force = false } = {}) => {
      await transport.close({ force });
      await observability.close();
    },
  };
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
  /**
   * Stops accepting, lets in-flight requests finish, then closes the upstream pool. Past
   * `timeoutMs`, the connections still open are closed and upstream calls cut (and `onForced` told).
   */
  close(options?: { timeoutMs?: number; onForced?: () => void }): Promise<void>;
}

const SHUTTING_DOWN = JSON.stringify({ errors: [{ message: "The server is shutting down: retry the request." }] });

export async function startServer(app: App, options: { host: string; port: number }): Promise<RunningServer> {
  let closing = false;
  const server = createHttpServer((request, response) => {
    // A request that arrives on a kept-alive connection after shutdown began is refused, not started.
    if (closing) {
      response.writeHead(503, { "content-type": "application/json", connection: "close", "retry-after": "1" });
      response.end(SHUTTING_DOWN);
      return;
    }
    void app.yoga(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: new URL(`http://${host}:${address.port}`),
    server,
    close: async ({ timeoutMs = Number.POSITIVE_INFINITY, onForced } = {}) => {
      closing = true;
      const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
      // A connection whose last response has just been written is idle from then on: close it too.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => {
        if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve(false), timeoutMs);
      });
      server.closeIdleConnections();
      const inTime = await Promise.race([closed, late]);
      clearInterval(sweep);
      clearTimeout(timer);
      if (!inTime) {
        onForced?.();
        server.closeAllConnections();
        await closed;
      }
      await app.close({ force: !inTime });
    },
  };
}
