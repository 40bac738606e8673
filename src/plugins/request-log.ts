import { GraphQLError } from "graphql";
import type { Plugin, YogaLogger } from "graphql-yoga";
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "../config.ts";
import { UpstreamError } from "../upstream/errors.ts";
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

/**
 * One JSON line per GraphQL operation, written when it has finished, and one for each request
 * refused before any operation ran (CSRF, an unreadable or oversized body, the blob route's refusals).
 */
export function useRequestLog(logger: Logger): Plugin {
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
 * Its debug output is dropped: it can echo request parameters. A refusal of the caller's request
 * or an upstream failure is no server fault and already has its line (the operation's, or the
 * refused request's) with its code: only the rest is written, as an error with its stack.
 */
export function yogaLogger(logger: Logger): YogaLogger {
  // yoga logs a masked error both where it masks it and where it handles it: once is enough.
  const logged = new WeakSet<Error>();
  const at =
    (level: "info" | "warn" | "error") =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      if (first instanceof Error) {
        if (logged.has(first) || isExpectedFailure(first)) return;
        logged.add(first);
        logger[level]({ err: first }, first.message);
      } else logger[level](rest.length > 0 ? { details: rest.map(String) } : {}, String(first));
    };
  return { debug: () => {}, info: at("info"), warn: at("warn"), error: at("error") };
}

/** A refusal of the caller's request, or an upstream failure: answered with its code, no server fault. */
function isExpectedFailure(error: Error): boolean {
  let original: unknown = error;
  while (original instanceof GraphQLError && original.originalError) original = original.originalError;
  // graphql-js and yoga speak of the caller's request (syntax, validation, CSRF, body) with GraphQLErrors of their own.
  return original instanceof UpstreamError || original instanceof GraphQLError;
}
