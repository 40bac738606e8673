import { GraphQLError } from "graphql";
import type { YogaLogger } from "graphql-yoga";
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "./config/index.ts";
import { UpstreamError } from "./upstream/errors.ts";

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

/**
 * The server's stdout, written off the main thread: a line no longer waits for its write before the
 * response goes out, and lines logged while a write is under way leave together in the next one.
 * pino flushes what is left when the process exits.
 */
export function stdoutDestination(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "cloudflare-images-graphql" },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
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
