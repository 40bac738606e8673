import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { useDeferStream } from "@graphql-yoga/plugin-defer-stream";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import { type AuthSettings, createAuthenticator, type Viewer } from "./auth/index.ts";
import { createEntityCache, type EntityCacheLayer } from "./cache/index.ts";
import { Catalogue } from "./catalogue/catalogue.ts";
import { CatalogueFactsStore } from "./catalogue/facts-store.ts";
import { createKeysetCursorCodec } from "./catalogue/keyset-cursor.ts";
import { catalogueMetrics } from "./catalogue/metrics.ts";
import type { Config, UpstreamConfig } from "./config/index.ts";
import { type Context, createContext, resolverSettings, upstreamKeyOf } from "./context.ts";
import { corsPolicy } from "./cors.ts";
import { maskError } from "./errors.ts";
import { createFacts, type Facts } from "./facts/index.ts";
import { graphiqlOptions } from "./graphiql.ts";
import { BulkJobs } from "./jobs/index.ts";
import { createLive } from "./live/index.ts";
import { createLogger, yogaLogger } from "./logger.ts";
import { createCursorCodec } from "./pagination/cursor.ts";
import { SharedTokenChainMemo } from "./pagination/shared-token-chain.ts";
import { InMemoryTokenChainMemo } from "./pagination/token-chain.ts";
import { limitPlugins } from "./plugins/limits/index.ts";
import { createObservability } from "./plugins/observability/index.ts";
import type { Metrics } from "./plugins/observability/use-metrics.ts";
import { type AuthenticatedContext, useAuthentication, viewerOf } from "./plugins/use-authentication.ts";
import { useBlobRoute } from "./plugins/use-blob-route.ts";
import { useErrorPolicy } from "./plugins/use-error-policy.ts";
import { useGalleryRoute } from "./plugins/use-gallery-route.ts";
import { useIncrementalAcceptCheck } from "./plugins/use-incremental-accept-check.ts";
import { type OpsServerContext, useOpsAccess } from "./plugins/use-ops-access.ts";
import { useReadiness } from "./plugins/use-readiness.ts";
import { useStreamingUploads } from "./plugins/use-streaming-uploads.ts";
import { useVaryOrigin } from "./plugins/use-vary-origin.ts";
import { clientSchema, subgraphSchema } from "./schema/index.ts";
import { type CallBinding, createImagesApi, SharedBudget, Transport, type TransportEvent } from "./upstream/index.ts";
import { createChangeEvents, createWrites, type Writes } from "./writes/index.ts";

/** Where ordinary clients call: the client API of `schema/schema.graphql`, nothing of federation. */
export const CLIENT_PATH = "/graphql";
/** Where a federation gateway calls: the subgraph, with `_service` and `_entities`. */
export const SUBGRAPH_PATH = "/subgraph";

function isSubgraphRequest(request: Request): boolean {
  // Asked on every request: most are not, and a substring test spares parsing their URL.
  if (!request.url.includes(SUBGRAPH_PATH)) return false;
  const { pathname } = new URL(request.url);
  return pathname === SUBGRAPH_PATH || pathname === `${SUBGRAPH_PATH}/`;
}

/** What a request carries besides its GraphQL context: where it came in, and who sent it. */
export type ServerContext = OpsServerContext & AuthenticatedContext;

export interface App {
  yoga: YogaServerInstance<ServerContext, Context>;
  transport: Transport;
  /** Absent with `CACHE=off`. */
  cache: EntityCacheLayer | undefined;
  /** Absent with `FACTS=off`. */
  facts: Facts | undefined;
  /** Absent when `METRICS=false`. */
  metrics: Metrics | undefined;
  /** The account's index (status `OFF` with `CATALOGUE=off`). */
  catalogue: Catalogue;
  /** The one write path; `writes.events.on` hears every image change made through it. */
  writes: Writes;
  /** Completes open subscriptions, whose answers would otherwise keep the server from closing. */
  endSubscriptions(): void;
  /** `force`: upstream calls still running are cut instead of awaited. */
  close(options?: { force?: boolean }): Promise<void>;
}

export interface AppOptions {
  onUpstreamEvent?: (e: TransportEvent) => void;
  /** Request logs and yoga's own messages; none when absent. */
  logger?: Logger;
  /** Where upstream calls go instead of a pool per upstream host (tests: an emulator in this process). */
  upstreamDispatcher?: (origin: string) => Dispatcher;
}

/** The GraphQL application, with no side effects: tests can call `yoga.fetch` without a port. */
export function createApp(config: Config, upstream: UpstreamConfig, options: AppOptions = {}): App {
  const logger = options.logger ?? createLogger("silent");
  const budget = new SharedBudget({
    ...config.budget,
    redisUrl: config.redisUrl,
    accountId: upstream.accountId,
    onDegraded: (degraded) =>
      degraded
        ? logger.warn(
            "Redis is out of reach (REDIS_URL): this replica keeps to its share of the upstream budget (UPSTREAM_REPLICAS).",
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
    dispatcherFor: options.upstreamDispatcher,
    onEvent: (event) => {
      observability.onUpstreamEvent(event);
      options.onUpstreamEvent?.(event);
    },
  });
  // In `forward` mode a caller's own Cloudflare token; otherwise (and for readiness) the server's.
  const apiFor = (token?: string, binding?: CallBinding) =>
    createImagesApi(transport, upstream.accountId, token ?? upstream.token, binding);
  const serverApi = apiFor();
  const cache = createEntityCache(config.cache, {
    redisUrl: config.redisUrl,
    accountId: upstream.accountId,
    onEvent: observability.onCacheEvent,
    onSharedLevel: (reachable) =>
      reachable
        ? logger.info("Redis is back: the entity cache is shared again.")
        : logger.warn(
            "Redis is out of reach (REDIS_URL): the entity cache serves only what this replica checked in the last CACHE_OFFLINE_TTL_SECONDS.",
          ),
  });
  if (cache) observability.metrics?.watchCacheSize(() => cache.size());
  const authenticate = createAuthenticator(config.auth);
  const { limits } = config;
  const settings = resolverSettings(config);
  const errorPolicy = { forward: config.auth.mode === "forward" };
  // Keyed by the server's own upstream token, so every replica of one deployment reads the others' cursors.
  const memo = config.redisUrl
    ? new SharedTokenChainMemo(config.redisUrl, upstream.accountId)
    : new InMemoryTokenChainMemo();
  const pagination = { cursors: createCursorCodec(upstream.token), memo };
  const writes = createWrites(
    createChangeEvents((error, event) =>
      logger.error({ err: error, change: event.kind, imageId: event.imageId }, "A change event's listener failed."),
    ),
  );
  // A direct upload becomes an image when its file arrives, which only a draft watch sees.
  const live = createLive(config.live, {
    redisUrl: config.redisUrl,
    onDraftReady: (tenant, image) => writes.events.emit({ kind: "created", imageId: image.id, image, tenant }),
  });
  let catalogue: Catalogue | undefined;
  const catalogueEvents = observability.metrics && catalogueMetrics(observability.metrics.registry, () => catalogue);
  catalogue = new Catalogue({
    config: config.catalogue,
    // The server's own calls: past the entity cache, and charged to no caller.
    api: serverApi,
    forwardMode: config.auth.mode === "forward",
    logger,
    changes: writes.events,
    events: { ...catalogueEvents, onQuery: observability.onCatalogueQuery },
    relay: config.redisUrl ? { redisUrl: config.redisUrl, accountId: upstream.accountId } : undefined,
  });
  catalogue.start();
  const catalogueSource = { catalogue, cursors: createKeysetCursorCodec(upstream.token) };
  // Listeners run in the order registered: one that subscribers' reads depend on (the catalogue, registered
  // by its constructor above) goes first.
  writes.events.on(live.onImageChange);
  const facts = config.facts.enabled
    ? createFacts(config.facts, {
        accountId: upstream.accountId,
        redisUrl: config.redisUrl,
        budget: config.budget,
        // With the catalogue on, facts are kept in its store (durable, claims shared through PostgreSQL).
        store: catalogue.store && {
          store: new CatalogueFactsStore(catalogue.store.facts, { claimSeconds: config.facts.claimSeconds }),
          shared: catalogue.store.kind === "postgres",
        },
        onKnown: (image) => live.events.publishChanged(image.id, image),
      })
    : undefined;
  if (facts) writes.events.on(facts.onImageChange);
  const jobs = new BulkJobs({
    config: config.jobs,
    catalogue,
    durable: { dir: config.catalogue.dir, databaseUrl: config.catalogue.databaseUrl },
    forwardMode: config.auth.mode === "forward",
    writes,
    // The server's token, on the batch host where it serves, through the entity cache so each item's
    // write ends its entries; global-API calls are charged to the job's tenant's share of the budget.
    apiFor: (tenant, signal) => {
      const api = apiFor(undefined, { signal, caller: `bulk:${tenant}` });
      return cache ? cache.bind(api, { tenant: "server", readThrough: true }) : api;
    },
    logger,
  });
  jobs.start();
  const yoga = createYoga<ServerContext, Context>({
    schema: ({ request }) => (isSubgraphRequest(request) ? subgraphSchema() : clientSchema),
    context: (initial) => {
      const viewer = viewerOf(initial);
      const api = apiFor(viewer.upstreamToken, {
        signal: initial.request.signal,
        caller: callerOf(viewer, config.auth.mode, initial as { req?: IncomingMessage }),
      });
      return createContext({
        // Entries are kept apart per upstream credential: in `forward` mode two tokens never share one.
        api: cache
          ? cache.bind(api, {
              tenant: upstreamKeyOf(viewer.upstreamToken) || "server",
              readThrough: readsThrough(initial.request),
            })
          : api,
        settings,
        viewer,
        upstreamToken: viewer.upstreamToken,
        loaderConcurrency: config.loaderConcurrency,
        pagination,
        live,
        catalogue: catalogueSource,
        writes,
        // The backfill outlives the request: its downloads carry the caller's credential, not its signal.
        facts: facts?.forRequest({
          tenant: upstreamKeyOf(viewer.upstreamToken),
          download: (imageId) => apiFor(viewer.upstreamToken, { caller: "facts:backfill" }).images.blob(imageId),
        }),
        jobs,
        onLoaderCacheHit: observability.onLoaderCacheHit,
      });
    },
    graphqlEndpoint: `/:endpoint(${CLIENT_PATH.slice(1)}|${SUBGRAPH_PATH.slice(1)})`,
    healthCheckEndpoint: "/health",
    landingPage: false,
    cors: corsPolicy(config.cors),
    ...graphiqlOptions(limits.graphiql, isSubgraphRequest),
    maskedErrors: { maskError: (error, message) => maskError(error, message, errorPolicy) },
    logging: yogaLogger(logger.child({ component: "yoga" })),
    // Uploads are parsed by useStreamingUploads, which does not hold files in memory as yoga's parser does.
    multipart: false,
    // useBodyLimits refuses a body by its Content-Length (and a JSON body without one) before a byte is
    // read, and useStreamingUploads counts an upload while it streams: yoga's own cap would pipe every
    // body through a stream of its own, about a tenth of a small request's CPU, to check nothing new.
    maxRequestBodySize: false,
    plugins: [
      useOpsAccess(config.ops),
      useVaryOrigin(),
      ...observability.plugins,
      ...limitPlugins(limits),
      useErrorPolicy(errorPolicy),
      useDeferStream(),
      useIncrementalAcceptCheck(),
      useAuthentication(authenticate),
      useStreamingUploads({
        maxFiles: 10,
        maxFieldBytes: limits.maxBodyBytes,
        maxBodyBytes: limits.maxUploadBytes + limits.maxBodyBytes,
        idleTimeoutMs: limits.uploadIdleTimeoutMs,
      }),
      useBlobRoute({
        authenticate,
        apiFor: (viewer, signal) =>
          apiFor(viewer.upstreamToken, { signal, caller: callerOf(viewer, config.auth.mode, {}) }),
        ...errorPolicy,
      }),
      useReadiness({ api: serverApi, budget, cacheSeconds: config.observability.readinessCacheSeconds }),
      ...(limits.graphiql ? [useGalleryRoute()] : []),
    ],
  });
  return {
    yoga,
    transport,
    cache,
    facts,
    metrics: observability.metrics,
    catalogue,
    writes,
    endSubscriptions: () => live.endStreams(),
    close: async ({ force = false } = {}) => {
      await facts?.close();
      await live.close();
      await jobs.close();
      await catalogue.close();
      await transport.close({ force });
      await budget.close();
      cache?.close();
      if (memo instanceof SharedTokenChainMemo) memo.close();
      await observability.close();
    },
  };
}

/** `Cache-Control: no-cache` (or `no-store`) on the GraphQL request: read the upstream, and keep what it answers. */
function readsThrough(request: Request): boolean {
  return /\bno-(cache|store)\b/i.test(request.headers.get("cache-control") ?? "");
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
