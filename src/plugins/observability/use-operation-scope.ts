import { AsyncLocalStorage } from "node:async_hooks";
import { type DocumentNode, type ExecutionResult, getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { CacheEvent } from "../../cache/index.ts";
import { ERROR_POLICY } from "../../errors.ts";
import type { TransportEvent } from "../../upstream/index.ts";
import { boundedOperationName } from "./operation-name.ts";

/**
 * What one GraphQL operation did, gathered while it runs. The transport and the loaders know
 * nothing of GraphQL requests; their events find the operation they belong to through async context.
 */
export interface OperationRecord {
  /** `performance.now()` when the operation began. */
  readonly startedAt: number;
  /** The name the client sent, until the executed document names it; bounded (operation-name.ts). */
  operationName: string | undefined;
  /** Set only once the document parsed and validated: a name safe to use as a metric label. */
  executed: { name: string | undefined; type: string } | undefined;
  /** `extensions.code` of each error in the result. */
  errorCodes: string[];
  hasData: boolean;
  readonly upstream: {
    /** Requests sent upstream (each retry counts), by `METHOD route`. */
    calls: number;
    routes: Record<string, number>;
    retries: number;
    coalesced: number;
    budgetRefused: number;
  };
  loaderCacheHits: number;
  /** Queries the catalogue answered (search, sorted or filtered pages, counts): served without the upstream list. */
  catalogueQueries: number;
  /** Lookups of the entity cache across requests: fresh hits, stale serves, misses, and writes' invalidations. */
  readonly cache: { hits: number; stale: number; misses: number; invalidations: number };
}

export type Outcome = "ok" | "partial" | "error";

const scope = new AsyncLocalStorage<OperationRecord>();

/** The operation the caller runs inside, if any. */
export function currentOperation(): OperationRecord | undefined {
  return scope.getStore();
}

export function outcomeOf(record: OperationRecord): Outcome {
  if (record.errorCodes.length === 0) return "ok";
  return record.hasData ? "partial" : "error";
}

export function recordUpstreamEvent(event: TransportEvent): void {
  const record = scope.getStore();
  if (!record) return;
  const { upstream } = record;
  switch (event.type) {
    case "response":
    case "failure": {
      const key = `${event.method} ${event.route}`;
      upstream.calls += 1;
      upstream.routes[key] = (upstream.routes[key] ?? 0) + 1;
      break;
    }
    case "retry":
      upstream.retries += 1;
      break;
    case "coalesced":
      upstream.coalesced += 1;
      break;
    case "budget-refused":
      upstream.budgetRefused += 1;
      break;
  }
}

export function recordCacheEvent(event: CacheEvent): void {
  const record = scope.getStore();
  if (!record) return;
  if (event.type === "invalidation") record.cache.invalidations += 1;
  else if (event.outcome === "hit") record.cache.hits += 1;
  else if (event.outcome === "stale") record.cache.stale += 1;
  else record.cache.misses += 1;
}

export function recordCatalogueQuery(): void {
  const record = scope.getStore();
  if (record) record.catalogueQueries += 1;
}

export function recordLoaderCacheHit(): void {
  const record = scope.getStore();
  if (record) record.loaderCacheHits += 1;
}

/**
 * Opens a record around each GraphQL operation (each entry of a batched request on its own).
 * Must come before the plugins that read it: their `operation` instrumentation runs inside this one.
 */
export function useOperationScope(): Plugin {
  return {
    instrumentation: {
      operation: (_payload, wrapped) => scope.run(newRecord(), wrapped),
    },
    onParams({ params }) {
      const record = scope.getStore();
      if (record && typeof params.operationName === "string") {
        record.operationName = boundedOperationName(params.operationName);
      }
    },
    onExecute({ args }) {
      recordExecuted(args.document, args.operationName);
    },
    // Subscriptions never reach onExecute: without this they would be logged and counted as `unknown`.
    onSubscribe({ args }) {
      recordExecuted(args.document, args.operationName);
    },
    onExecutionResult({ result }) {
      const record = scope.getStore();
      if (!record || !isExecutionResult(result)) return;
      record.hasData = result.data !== null && result.data !== undefined;
      record.errorCodes = (result.errors ?? []).map((e) => String(e.extensions?.code ?? ERROR_POLICY.unexpected.code));
    },
  };
}

function recordExecuted(document: DocumentNode, operationName: string | null | undefined): void {
  const record = scope.getStore();
  if (!record) return;
  const operation = getOperationAST(document, operationName);
  if (!operation) return;
  const name = operation.name && boundedOperationName(operation.name.value);
  record.executed = { name, type: operation.operation };
  record.operationName = name;
}

/** Runs `wrapped` (an instrumentation step) and calls `done` once it has settled, with its error if it threw. */
export function afterSettled(
  wrapped: () => void | Promise<void>,
  done: (error?: unknown) => void,
): void | Promise<void> {
  let result: void | Promise<void>;
  try {
    result = wrapped();
  } catch (error) {
    done(error);
    throw error;
  }
  if (!(result instanceof Promise)) return done();
  return result.then(
    () => done(),
    (error: unknown) => {
      done(error);
      throw error;
    },
  );
}

function newRecord(): OperationRecord {
  return {
    startedAt: performance.now(),
    operationName: undefined,
    executed: undefined,
    errorCodes: [],
    hasData: false,
    upstream: { calls: 0, routes: {}, retries: 0, coalesced: 0, budgetRefused: 0 },
    loaderCacheHits: 0,
    catalogueQueries: 0,
    cache: { hits: 0, stale: 0, misses: 0, invalidations: 0 },
  };
}

function isExecutionResult(result: unknown): result is ExecutionResult {
  return typeof result === "object" && result !== null && !(Symbol.asyncIterator in result);
}
