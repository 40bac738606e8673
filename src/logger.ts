import type { YogaLogger } from "graphql-yoga";
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "./config.ts";

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
