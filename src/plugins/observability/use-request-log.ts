import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { ERROR_POLICY } from "../../errors.ts";
import { afterSettled, currentOperation, type OperationRecord, outcomeOf } from "./use-operation-scope.ts";

/** One JSON line per GraphQL operation, written when it has finished. */
export function useRequestLog(logger: Logger): Plugin {
  return {
    instrumentation: {
      operation: (_payload, wrapped) => afterSettled(wrapped, (error) => logOperation(logger, error)),
    },
  };
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
    loaderCacheHits: record.loaderCacheHits,
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
