import { declareVariables, type EnvReader } from "./env-reader.ts";

/** What one decode may cost. */
export interface DecodeLimits {
  /** Pixels of the whole image (every frame of an animation). */
  readonly maxPixels: number;
  /** Longest side in pixels. */
  readonly maxSide: number;
  readonly maxBytes: number;
  /**
   * Formats that cannot shrink on load (GIF, AVIF) are decoded whole for their placeholder: above
   * this many pixels a frame, such a file gets its size but no placeholder.
   */
  readonly maxFullDecodePixels: number;
  /** A decode still running after this long is given up (libvips stops it). */
  readonly timeoutSeconds: number;
}

/** Image facts: whether they are computed, how many at once, and what one decode may cost. */
export interface FactsConfig {
  /** `FACTS=off`: no facts are computed or kept; the fields answer null and `PENDING`. */
  readonly enabled: boolean;
  /** Background computations (blob download and decode) running at once. */
  readonly concurrency: number;
  /** The most of the upstream budget's window the backfill's blob downloads may take. */
  readonly budgetShare: number;
  readonly limits: DecodeLimits;
  /** Records kept in process when no shared store (Redis) holds them. */
  readonly maxEntries: number;
  /** How long one replica's claim on an image holds (a crashed replica's then lapses). */
  readonly claimSeconds: number;
  /** Images waiting for the backfill at most; later ones are queued again by their next read. */
  readonly queueLength: number;
}

export const FACTS_VARIABLES = declareVariables({
  FACTS: {
    type: "choice",
    values: ["on", "off"],
    default: "on",
    description:
      "Image facts (width, height, format, hash, placeholder); `off`: none computed, the fields answer null and PENDING.",
  },
  FACTS_CONCURRENCY: {
    type: "integer",
    default: 2,
    min: 1,
    max: 64,
    description: "Images whose facts are computed in the background at once (one blob download and decode each).",
  },
  FACTS_BUDGET_SHARE: {
    type: "fraction",
    default: 0.25,
    description: "The most of the upstream budget's window the facts backfill's blob downloads may take.",
  },
  // The upstream's own limits: 100 megapixels, 12,000 px a side, 10 MB a file.
  FACTS_MAX_PIXELS: {
    type: "integer",
    default: 100_000_000,
    min: 1,
    max: 1_000_000_000,
    description: "A file claiming more pixels (all frames together) is not decoded: its facts are FAILED.",
  },
  FACTS_MAX_SIDE: {
    type: "integer",
    default: 12_000,
    min: 1,
    max: 100_000,
    description: "A file claiming a longer side is not decoded: its facts are FAILED.",
  },
  FACTS_MAX_BYTES: {
    type: "integer",
    default: 10 * 1024 * 1024,
    min: 1,
    max: 100 * 1024 * 1024,
    description: "A stored file larger than this is not downloaded whole: its facts are FAILED.",
  },
  FACTS_MAX_FULL_DECODE_PIXELS: {
    type: "integer",
    default: 4_000_000,
    min: 1,
    max: 1_000_000_000,
    description:
      "GIF and AVIF are decoded whole for a placeholder (no shrink on load): a larger frame gets its size but no placeholder.",
  },
  FACTS_DECODE_TIMEOUT_SECONDS: {
    type: "integer",
    default: 30,
    min: 1,
    max: 3600,
    description: "A decode still running after this long is stopped: the facts are FAILED.",
  },
  FACTS_MAX_ENTRIES: {
    type: "integer",
    default: 100_000,
    min: 1,
    max: 10_000_000,
    description: "Facts kept in process without REDIS_URL (least recently used first out; computed again after).",
  },
  FACTS_CLAIM_SECONDS: {
    type: "integer",
    default: 120,
    min: 1,
    max: 86_400,
    description: "How long a replica's claim to compute an image's facts holds before another may take it.",
  },
  FACTS_QUEUE_LENGTH: {
    type: "integer",
    default: 10_000,
    min: 1,
    max: 1_000_000,
    description: "Images waiting for the facts backfill at most; later ones are queued again by their next read.",
  },
});

export function readFactsConfig(read: EnvReader): FactsConfig {
  const v = FACTS_VARIABLES;
  return {
    enabled: (read.choice(v.FACTS) ?? "on") === "on",
    concurrency: read.integer(v.FACTS_CONCURRENCY),
    budgetShare: read.fraction(v.FACTS_BUDGET_SHARE),
    limits: {
      maxPixels: read.integer(v.FACTS_MAX_PIXELS),
      maxSide: read.integer(v.FACTS_MAX_SIDE),
      maxBytes: read.integer(v.FACTS_MAX_BYTES),
      maxFullDecodePixels: read.integer(v.FACTS_MAX_FULL_DECODE_PIXELS),
      timeoutSeconds: read.integer(v.FACTS_DECODE_TIMEOUT_SECONDS),
    },
    maxEntries: read.integer(v.FACTS_MAX_ENTRIES),
    claimSeconds: read.integer(v.FACTS_CLAIM_SECONDS),
    queueLength: read.integer(v.FACTS_QUEUE_LENGTH),
  };
}
