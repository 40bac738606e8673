import type { Plugin, YogaLogger } from "graphql-yoga";
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "../config.ts";
import { afterSettled, currentOperation, type OperationRecord, outcomeOf } from "./operation-scope.ts";

/**
 * Credentials never reach a log line: nothing here logs headers, variables or upstream bodies, and
 * these paths are censored as well, in case a future call site passes such an object along.
 */
const REDACTED_PATHS = [
  "authorization",
  "token",
  "value",
  "secret",
  "headers",
  "*.authorization",
  "*.token",
  "*.value",
  "*.secret",
  "*.headers",
  "*.*.authorization",
  "*.*.token",
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "cloudflare-images-graphql" },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}

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
  } else if (record.errorCodes.includes("INTERNAL_SERVER_ERROR")) {
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

/**
 * Yoga's own messages (warnings, unexpected errors) as JSON lines through the same logger.
 * Its debug output is dropped: it can echo request parameters.
 */
export function yogaLogger(logger: Logger): YogaLogger {
  const at =
    (level: "info" | "warn" | "error") =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      if (first instanceof Error) logger[level]({ err: first }, first.message);
      else logger[level](rest.length > 0 ? { details: rest.map(String) } : {}, String(first));
    };
  return { debug: () => {}, info: at("info"), warn: at("warn"), error: at("error") };
}
