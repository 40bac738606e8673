import { createHash } from "node:crypto";

/** Longest operation name kept as it is in metric labels, log lines and span names. */
export const MAX_OPERATION_NAME_CHARS = 64;

const HASH_CHARS = 16;

/**
 * Operation names are chosen by clients, so every telemetry sink gets them through here: a long
 * name is cut and ends in a hash of the whole, so two long names stay apart without either
 * growing what is stored.
 */
export function boundedOperationName(name: string): string {
  if (name.length <= MAX_OPERATION_NAME_CHARS) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, HASH_CHARS);
  return `${name.slice(0, MAX_OPERATION_NAME_CHARS - HASH_CHARS - 1)}~${hash}`;
}
