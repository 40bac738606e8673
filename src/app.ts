import { useDeferStream } from "@graphql-yoga/plugin-defer-stream";
import { GraphQLError } from "graphql";
import { createGraphQLError, createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Logger } from "pino";
import { createAuthenticator } from "./auth/index.ts";
import type { Config, UpstreamConfig } from "./config.ts";
import { type Context, createContext } from "./context.ts";
import { corsPolicy } from "./cors.ts";
import { graphiqlOptions } from "./graphiql.ts";
import { createLogger, yogaLogger } from "./logger.ts";
import { limitPlugins } from "./plugins/limits/index.ts";
import { createObservability } from "./plugins/observability/index.ts";
import type { Metrics } from "./plugins/observability/use-metrics.ts";
import { unauthenticated, useAuthentication, viewerOf } from "./plugins/use-authentication.ts";
import { useBlobRoute } from "./plugins/use-blob-route.ts";
import { useIncrementalAcceptCheck } from "./plugins/use-incremental-accept-check.ts";
import { useInputErrorCode } from "./plugins/use-input-error-code.ts";
import { useOpsAccess } from "./plugins/use-ops-access.ts";
import { useReadiness } from "./plugins/use-readiness.ts";
import { useStreamingUploads } from "./plugins/use-streaming-uploads.ts";
import { useVaryOrigin } from "./plugins/use-vary-origin.ts";
import { createCursorCodec } from "./schema/cursor.ts";
import { upstreamErrorExtensions } from "./schema/errors.ts";
import { clientSchema, subgraphSchema } from "./schema/index.ts";
import { InMemoryTokenChainMemo } from "./schema/token-chain.ts";
import {
  createImagesApi,
  RequestBudget,
  Transport,
  type TransportEvent,
  UpstreamAuthenticationError,
  UpstreamError,
} from "./upstream/index.ts";

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
  close(): Promise<void>;
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
  // Keyed by the server's own upstream token, so every replica of one deployment reads the others' cursors.
  const pagination = { cursors: createCursorCodec(upstream.token), memo: new InMemoryTokenChainMemo() };
  const yoga = createYoga<Record<string, never>, Context>({
    schema: ({ request }) => (isSubgraphRequest(request) ? subgraphSchema : clientSchema),
    context: ({ request }) => {
      const viewer = viewerOf(request);
      const api = apiFor(viewer.upstreamToken);
      return createContext({
        api,
        config,
        viewer,
        signal: request.signal,
        pagination,
        onLoaderCacheHit: observability.onLoaderCacheHit,
      });
    },
    graphqlEndpoint: `/:endpoint(${CLIENT_PATH.slice(1)}|${SUBGRAPH_PATH.slice(1)})`,
    healthCheckEndpoint: "/health",
    landingPage: false,
    cors: corsPolicy(config.cors),
    ...graphiqlOptions(limits.graphiql, isSubgraphRequest),
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
      useDeferStream(),
      useIncrementalAcceptCheck(),
      useAuthentication(authenticate),
      useStreamingUploads({
        maxFiles: 10,
        maxFieldBytes: limits.maxBodyBytes,
        maxBodyBytes: limits.maxUploadBytes + limits.maxBodyBytes,
        idleTimeoutMs: limits.uploadIdleTimeoutMs,
      }),
      useBlobRoute({ authenticate, apiFor: (viewer) => apiFor(viewer.upstreamToken) }),
      useReadiness({ api: serverApi, budget, cacheSeconds: config.observability.readinessCacheSeconds }),
    ],
  });
  return {
    yoga,
    transport,
    metrics: observability.metrics,
    close: async () => {
      await transport.close();
      await observability.close();
    },
  };
}

/**
 * Upstream failures get their firm code; anything unexpected is masked, never explained. In
 * `forward` mode the upstream judges the caller's own token, so its refusal is UNAUTHENTICATED.
 */
/** yoga's own codes for a request the caller got wrong; the contract has one code for them all. */
const YOGA_INPUT_CODES = new Set(["GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_REQUEST"]);

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
