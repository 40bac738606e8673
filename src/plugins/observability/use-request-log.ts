import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { ERROR_POLICY } from "../../errors.ts";
import { afterSettled, currentOperation, type OperationRecord, outcomeOf } from "./use-operation-scope.ts";

/**
 * One JSON line per GraphQL operation, written when it has finished, and one for each request
 * refused before any operation ran (CSRF, an unreadable or oversized body, the blob route's refusals).
 */
export function useRequestLog(parent: Logger): Plugin {
  // These lines have a fixed shape of counts, codes and names, none a credential: the parent's
  // wildcard redaction would walk each of them for nothing, some 10 µs a line.
  const logger = parent.child({}, { redact: [] });
  const operated = new WeakSet<Request>();
  return {
    instrumentation: {
      operation: ({ request }, wrapped) => {
        operated.add(request);
        return afterSettled(wrapped, (error) => logOperation(logger, error));
      },
    },
    async onResponse({ request, response }) {
      if (operated.has(request) || response.status < 400 || response.status >= 500) return;
      const path = new URL(request.url).pathname.slice(0, 200);
      const line = { method: request.method, path, status: response.status, code: await errorCodeOf(response) };
      logger.info(line, "request refused");
    },
  };
}

/** The `code` of a refusal's JSON body: a GraphQL error's or the plain routes' `{ error: { code } }`. */
async function errorCodeOf(response: Response): Promise<string | null> {
  if (!response.headers.get("content-type")?.includes("json")) return null;
  try {
    const body = (await response.clone().json()) as {
      errors?: { extensions?: { code?: unknown } }[];
      error?: { code?: unknown };
    };
    const code = body.errors?.[0]?.extensions?.code ?? body.error?.code;
    return typeof code === "string" ? code.slice(0, 50) : null;
  } catch {
    return null;
  }
}

function logOperation(logger: Logger, thrown?: unknown): void {
  const record = currentOperation();
  if (!record) return;
  const line = describe(record);
  if (thrown !== undefined) {
    logger.error({ ...line, outcome: "error", error: errorName(thrown) }, "graphql request failed");
  } else if (record.errorCodes.includes(ERROR_POLICY.unexpected.code)) {
    logger.error(line, "graphql request");
  } else {
    logger.info(line, "graphql request");
  }
}

function describe(record: OperationRecord) {
  return {
    operationName: record.operationName ?? null,
    operationType: record.executed?.type ?? null,
    durationMs: Math.round((performance.now() - record.startedAt) * 10) / 10,
    outcome: outcomeOf(record),
    errorCodes: [...new Set(record.errorCodes)],
    upstream: record.upstream,
    // Which served the operation's reads: the catalogue, the upstream, both, or neither.
    servedBy: servedBy(record),
    catalogue: { queries: record.catalogueQueries },
    loaderCacheHits: record.loaderCacheHits,
    cache: record.cache,
  };
}

function servedBy(record: OperationRecord): "catalogue" | "upstream" | "both" | null {
  const upstream = record.upstream.calls > 0 || record.cache.hits + record.cache.stale > 0;
  const catalogue = record.catalogueQueries > 0;
  if (upstream && catalogue) return "both";
  return catalogue ? "catalogue" : upstream ? "upstream" : null;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
