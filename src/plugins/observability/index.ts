import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { CacheEvent } from "../../cache/index.ts";
import type { ObservabilityConfig } from "../../config/index.ts";
import type { LoaderName } from "../../loaders.ts";
import type { TransportEvent, UpstreamBudget } from "../../upstream/index.ts";
import { createMetrics, type Metrics } from "./use-metrics.ts";
import {
  recordCacheEvent,
  recordCatalogueQuery,
  recordLoaderCacheHit,
  recordUpstreamEvent,
  useOperationScope,
} from "./use-operation-scope.ts";
import { useRequestLog } from "./use-request-log.ts";
import { createTracing } from "./use-tracing.ts";

export interface Observability {
  /** In order: the operation scope first, since the others read it when an operation ends. */
  readonly plugins: Plugin[];
  readonly metrics: Metrics | undefined;
  onUpstreamEvent(event: TransportEvent): void;
  onLoaderCacheHit(loader: LoaderName): void;
  onCacheEvent(event: CacheEvent): void;
  /** The catalogue answered a query of the running operation. */
  onCatalogueQuery(): void;
  close(): Promise<void>;
}

/** Request logs always; metrics unless `METRICS=false`; traces when an OTLP endpoint is set. */
export function createObservability(
  config: ObservabilityConfig,
  deps: { logger: Logger; budget: UpstreamBudget },
): Observability {
  const metrics = config.metrics ? createMetrics(deps.budget) : undefined;
  const tracing = config.tracing ? createTracing(config.tracing) : undefined;
  const plugins: Plugin[] = [useOperationScope()];
  if (tracing) plugins.push(tracing.plugin);
  if (metrics) plugins.push(metrics.plugin);
  plugins.push(useRequestLog(deps.logger));
  return {
    plugins,
    metrics,
    onUpstreamEvent(event) {
      recordUpstreamEvent(event);
      metrics?.onUpstreamEvent(event);
      tracing?.onUpstreamEvent(event);
    },
    onLoaderCacheHit(loader) {
      recordLoaderCacheHit();
      metrics?.onLoaderCacheHit(loader);
    },
    onCacheEvent(event) {
      recordCacheEvent(event);
      metrics?.onCacheEvent(event);
    },
    onCatalogueQuery: recordCatalogueQuery,
    close: async () => {
      await tracing?.close();
    },
  };
}
