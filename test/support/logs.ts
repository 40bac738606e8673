import { Writable } from "node:stream";
import type { Logger } from "pino";
import { createLogger } from "../../src/logger.ts";

export interface CapturedLogs {
  logger: Logger;
  /** Everything written so far, as the process would print it. */
  text(): string;
  /** Each JSON line, parsed. */
  lines(): Record<string, unknown>[];
}

/** The production logger (same options, same redaction), writing to memory instead of stdout. */
export function captureLogs(level: "info" | "debug" | "trace" = "trace"): CapturedLogs {
  let text = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    logger: createLogger(level, destination),
    text: () => text,
    lines: () =>
      text
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
