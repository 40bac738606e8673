import { declareVariables, type EnvReader } from "./env-reader.ts";

/** The kinds of upstream entity the cache keeps, each with its own time to live. */
export const ENTITY_KINDS = ["image", "imageList", "variants", "signingKeys", "stats"] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** The cross-request entity cache: what it keeps, for how long, and how much of it. */
export interface CacheConfig {
  /** `CACHE=off`: every read goes to the upstream, as without a cache. */
  readonly enabled: boolean;
  /** Seconds an entry of each kind is fresh; 0 keeps none of that kind. */
  readonly ttlSeconds: Readonly<Record<EntityKind, number>>;
  /** Seconds an unknown image id is remembered as unknown. */
  readonly notFoundTtlSeconds: number;
  /** Past its freshness an entry is still served, while one refresh runs, for at most this long. */
  readonly maxStaleSeconds: number;
  /**
   * While Redis is out of reach a replica cannot hear of other replicas' writes: what it checked
   * last is served for at most this long.
   */
  readonly offlineTtlSeconds: number;
  readonly maxEntries: number;
  /** Bound on the in-process level, measured as the entries' JSON size. */
  readonly maxBytes: number;
}

const DAY = 86_400;

const ttl = (seconds: number, description: string) =>
  ({ type: "integer", default: seconds, min: 0, max: DAY, description }) as const;

export const CACHE_VARIABLES = declareVariables({
  CACHE: {
    type: "choice",
    values: ["on", "off"],
    default: "on",
    description: "The entity cache across requests; `off`: every read goes to the upstream.",
  },
  CACHE_IMAGE_TTL_SECONDS: ttl(60, "Seconds an image record stays fresh (0: not kept)."),
  CACHE_LIST_TTL_SECONDS: ttl(30, "Seconds a page of the v2 list stays fresh (0: not kept)."),
  CACHE_VARIANTS_TTL_SECONDS: ttl(300, "Seconds the variant list stays fresh (0: not kept)."),
  CACHE_KEYS_TTL_SECONDS: ttl(300, "Seconds the signing keys stay fresh, in process only (0: not kept)."),
  CACHE_STATS_TTL_SECONDS: ttl(60, "Seconds the account's count (`stats`) stays fresh (0: not kept)."),
  CACHE_NOT_FOUND_TTL_SECONDS: ttl(10, "Seconds an unknown image id is remembered as unknown."),
  CACHE_MAX_STALE_SECONDS: ttl(
    60,
    "Past its TTL an entry is still served this long while one refresh runs (0: never stale).",
  ),
  CACHE_OFFLINE_TTL_SECONDS: ttl(
    5,
    "With REDIS_URL, while Redis is out of reach: an entry this replica last checked longer ago is read again.",
  ),
  CACHE_MAX_ENTRIES: {
    type: "integer",
    default: 20_000,
    min: 1,
    max: 10_000_000,
    description: "Entries of the in-process level (least recently used first out).",
  },
  CACHE_MAX_BYTES: {
    type: "integer",
    default: 16 * 1024 * 1024,
    min: 1024,
    max: 16 * 1024 * 1024 * 1024,
    defaultText: "16777216 (a sixteenth of a smaller memory limit)",
    description: "Bytes of the in-process level, measured as the entries' JSON size.",
  },
});

/** Reads the `CACHE*` settings; each bad value is reported by the reader under its own name. */
/** `maxBytes`: the default of CACHE_MAX_BYTES, sized from the memory limit. */
export function readCacheConfig(read: EnvReader, { maxBytes }: { maxBytes: number }): CacheConfig {
  const v = CACHE_VARIABLES;
  return {
    enabled: (read.choice(v.CACHE) ?? "on") === "on",
    ttlSeconds: {
      image: read.integer(v.CACHE_IMAGE_TTL_SECONDS),
      imageList: read.integer(v.CACHE_LIST_TTL_SECONDS),
      variants: read.integer(v.CACHE_VARIANTS_TTL_SECONDS),
      signingKeys: read.integer(v.CACHE_KEYS_TTL_SECONDS),
      stats: read.integer(v.CACHE_STATS_TTL_SECONDS),
    },
    notFoundTtlSeconds: read.integer(v.CACHE_NOT_FOUND_TTL_SECONDS),
    maxStaleSeconds: read.integer(v.CACHE_MAX_STALE_SECONDS),
    offlineTtlSeconds: read.integer(v.CACHE_OFFLINE_TTL_SECONDS),
    maxEntries: read.integer(v.CACHE_MAX_ENTRIES),
    maxBytes: read.integer(v.CACHE_MAX_BYTES, maxBytes),
  };
}
