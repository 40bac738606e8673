import type { EnvReader } from "../config.ts";
import type { DecodeLimits } from "./decode.ts";

/** Image facts: whether they are computed, how many at once, and what one decode may cost. */
export interface FactsConfig {
  /** `FACTS=off`: no facts are computed or kept; the fields answer null and `PENDING`. */
  readonly enabled: boolean;
  /** `FACTS_CONCURRENCY`: background computations (blob download and decode) running at once. */
  readonly concurrency: number;
  /** `FACTS_BUDGET_SHARE`: the most of the upstream budget's window the backfill's blob downloads may take. */
  readonly budgetShare: number;
  /** `FACTS_MAX_PIXELS`, `FACTS_MAX_SIDE`, `FACTS_MAX_BYTES`, `FACTS_DECODE_TIMEOUT_SECONDS`. */
  readonly limits: DecodeLimits;
  /** `FACTS_MAX_ENTRIES`: records kept in process when no shared store holds them. */
  readonly maxEntries: number;
  /** `FACTS_CLAIM_SECONDS`: how long one replica's claim on an image holds (a crashed replica's then lapses). */
  readonly claimSeconds: number;
  /** `FACTS_QUEUE_LENGTH`: images waiting for the backfill at most; later ones wait for their next read. */
  readonly queueLength: number;
}

export function readFactsConfig(read: EnvReader): FactsConfig {
  return {
    enabled: (read.oneOf("FACTS", ["on", "off"] as const) ?? "on") === "on",
    concurrency: read.integer("FACTS_CONCURRENCY", 2, 1, 64),
    budgetShare: read.fraction("FACTS_BUDGET_SHARE", 0.25),
    limits: {
      // The upstream's own limits: 100 megapixels, 12,000 px a side, 10 MB a file.
      maxPixels: read.integer("FACTS_MAX_PIXELS", 100_000_000, 1, 1_000_000_000),
      maxSide: read.integer("FACTS_MAX_SIDE", 12_000, 1, 100_000),
      maxBytes: read.integer("FACTS_MAX_BYTES", 10 * 1024 * 1024, 1, 100 * 1024 * 1024),
      timeoutSeconds: read.integer("FACTS_DECODE_TIMEOUT_SECONDS", 30, 1, 3600),
    },
    maxEntries: read.integer("FACTS_MAX_ENTRIES", 100_000, 1, 10_000_000),
    claimSeconds: read.integer("FACTS_CLAIM_SECONDS", 120, 1, 86_400),
    queueLength: read.integer("FACTS_QUEUE_LENGTH", 10_000, 1, 1_000_000),
  };
}
