import type { Plugin } from "graphql-yoga";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { CacheEvent } from "../../cache/index.ts";
import type { TransportEvent, UpstreamBudget } from "../../upstream/index.ts";
import { afterSettled, currentOperation, outcomeOf } from "./use-operation-scope.ts";

export const METRICS_PATH = "/metrics";

/** Distinct operation names kept as labels; past this, `other`, so clients cannot grow the series without end. */
const MAX_OPERATION_LABELS = 200;
/** And at most this many bytes of them, since every label is repeated in each series and bucket. */
const MAX_OPERATION_LABEL_BYTES = 8 * 1024;

export interface Metrics {
  readonly registry: Registry;
  /** Serves `/metrics` and observes every GraphQL operation. */
  readonly plugin: Plugin;
  onUpstreamEvent(event: TransportEvent): void;
  onLoaderCacheHit(loader: string): void;
  onCacheEvent(event: CacheEvent): void;
  /** Where the in-process level's size is read at each scrape (the cache is made after the metrics). */
  watchCacheSize(size: () => { entries: number; bytes: number }): void;
}

/** A registry per app (not prom-client's global one), so several apps in one process never collide. */
export function createMetrics(budget: UpstreamBudget): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const operationLabels = new BoundedLabels(MAX_OPERATION_LABELS, MAX_OPERATION_LABEL_BYTES);

  const requests = new Counter({
    name: "graphql_requests_total",
    help: "GraphQL operations handled, by operation name, type and outcome (ok, partial, error).",
    labelNames: ["operation", "type", "outcome"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "graphql_request_duration_seconds",
    help: "Time to answer a GraphQL operation, by operation name, type and outcome.",
    labelNames: ["operation", "type", "outcome"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const upstreamRequests = new Counter({
    name: "upstream_requests_total",
    help: "Requests sent to the Cloudflare Images API (each retry counts), by method, route template and HTTP status (or unreachable / aborted).",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const upstreamDuration = new Histogram({
    name: "upstream_request_duration_seconds",
    help: "Duration of requests to the Cloudflare Images API, by method and route template.",
    labelNames: ["method", "route"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const retries = new Counter({
    name: "upstream_retries_total",
    help: "Upstream requests retried after a 5xx, a 429 or a connection failure, by method and route template.",
    labelNames: ["method", "route"] as const,
    registers: [registry],
  });
  const coalesced = new Counter({
    name: "upstream_coalesced_total",
    help: "Upstream GETs not sent because an identical one was already in flight, by route template.",
    labelNames: ["route"] as const,
    registers: [registry],
  });
  const budgetRefused = new Counter({
    name: "upstream_budget_refused_total",
    help: "Upstream calls refused locally because the request budget was spent, by route template.",
    labelNames: ["route"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "upstream_budget_remaining",
    help: "Upstream requests left in the current budget window (the lower of the local count and the upstream's Ratelimit header).",
    registers: [registry],
    collect() {
      this.set(budget.remaining());
    },
  });
  new Gauge({
    name: "upstream_budget_limit",
    help: "Upstream requests allowed per budget window (UPSTREAM_BUDGET).",
    registers: [registry],
    collect() {
      this.set(budget.limit);
    },
  });
  const cacheHits = new Counter({
    name: "loader_cache_hits_total",
    help: "Lookups answered from a request's DataLoader cache instead of the upstream, by loader.",
    labelNames: ["loader"] as const,
    registers: [registry],
  });

  const entityLookups = new Counter({
    name: "entity_cache_lookups_total",
    help: "Lookups of the entity cache across requests, by kind, outcome (hit, stale, miss) and level that answered (local, shared, upstream).",
    labelNames: ["kind", "outcome", "level"] as const,
    registers: [registry],
  });
  const callsSaved = new Counter({
    name: "entity_cache_upstream_calls_saved_total",
    help: "Upstream calls not made because the entity cache answered (fresh or stale), by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const invalidations = new Counter({
    name: "entity_cache_invalidations_total",
    help: "Versions bumped by our own writes, ending every cached entry that depends on them, by what they cover.",
    labelNames: ["dependency"] as const,
    registers: [registry],
  });

  let cacheSize: (() => { entries: number; bytes: number }) | undefined;
  new Gauge({
    name: "entity_cache_entries",
    help: "Entries in this process's level of the entity cache.",
    registers: [registry],
    collect() {
      this.set(cacheSize?.().entries ?? 0);
    },
  });
  new Gauge({
    name: "entity_cache_bytes",
    help: "Size of this process's level of the entity cache, as its entries' JSON (bounded by CACHE_MAX_BYTES).",
    registers: [registry],
    collect() {
      this.set(cacheSize?.().bytes ?? 0);
    },
  });

  const observeOperation = () => {
    const record = currentOperation();
    if (!record) return;
    const labels = {
      // Only names from documents that parsed and validated: anything else is not an operation of this schema.
      operation: record.executed ? operationLabels.label(record.executed.name ?? "anonymous") : "invalid",
      type: record.executed?.type ?? "unknown",
      outcome: outcomeOf(record),
    };
    requests.inc(labels);
    duration.observe(labels, (performance.now() - record.startedAt) / 1000);
  };

  const plugin: Plugin = {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname !== METRICS_PATH) return;
      if (request.method !== "GET" && request.method !== "HEAD") {
        endResponse(new Response(null, { status: 405, headers: { allow: "GET, HEAD" } }));
        return;
      }
      endResponse(new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } }));
    },
    instrumentation: {
      operation: (_payload, wrapped) => afterSettled(wrapped, observeOperation),
    },
  };

  return {
    registry,
    plugin,
    onUpstreamEvent(event) {
      switch (event.type) {
        case "response":
          upstreamRequests.inc({ method: event.method, route: event.route, status: String(event.status) });
          upstreamDuration.observe({ method: event.method, route: event.route }, event.durationMs / 1000);
          break;
        case "failure": {
          const status = event.error === "UpstreamAbortedError" ? "aborted" : "unreachable";
          upstreamRequests.inc({ method: event.method, route: event.route, status });
          upstreamDuration.observe({ method: event.method, route: event.route }, event.durationMs / 1000);
          break;
        }
        case "retry":
          retries.inc({ method: event.method, route: event.route });
          break;
        case "coalesced":
          coalesced.inc({ route: event.route });
          break;
        case "budget-refused":
          budgetRefused.inc({ route: event.route });
          break;
      }
    },
    onLoaderCacheHit(loader) {
      cacheHits.inc({ loader });
    },
    onCacheEvent(event) {
      if (event.type === "invalidation") {
        invalidations.inc({ dependency: event.dependency });
        return;
      }
      entityLookups.inc({ kind: event.kind, outcome: event.outcome, level: event.level });
      if (event.outcome !== "miss") callsSaved.inc({ kind: event.kind });
    },
    watchCacheSize(size) {
      cacheSize = size;
    },
  };
}

class BoundedLabels {
  readonly #seen = new Set<string>();
  readonly #max: number;
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(max: number, maxBytes: number) {
    this.#max = max;
    this.#maxBytes = maxBytes;
  }

  label(value: string): string {
    if (this.#seen.has(value)) return value;
    const bytes = Buffer.byteLength(value);
    if (this.#seen.size >= this.#max || this.#bytes + bytes > this.#maxBytes) return "other";
    this.#seen.add(value);
    this.#bytes += bytes;
    return value;
  }
}
