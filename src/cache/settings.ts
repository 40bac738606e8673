import type { EnvReader } from "../config.ts";

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

/** Reads the `CACHE*` settings; each bad value is reported by the reader under its own name. */
/** `defaultMaxBytes`: the in-process level's bound when `CACHE_MAX_BYTES` is not set, sized from the memory limit. */
export function readCacheConfig(read: EnvReader, defaultMaxBytes = 16 * 1024 * 1024): CacheConfig {
  const enabled = (read.oneOf("CACHE", ["on", "off"] as const) ?? "on") === "on";
  return {
    enabled,
    ttlSeconds: {
      image: read.integer("CACHE_IMAGE_TTL_SECONDS", 60, 0, DAY),
      imageList: read.integer("CACHE_LIST_TTL_SECONDS", 30, 0, DAY),
      variants: read.integer("CACHE_VARIANTS_TTL_SECONDS", 300, 0, DAY),
      signingKeys: read.integer("CACHE_KEYS_TTL_SECONDS", 300, 0, DAY),
      stats: read.integer("CACHE_STATS_TTL_SECONDS", 60, 0, DAY),
    },
    notFoundTtlSeconds: read.integer("CACHE_NOT_FOUND_TTL_SECONDS", 10, 0, DAY),
    maxStaleSeconds: read.integer("CACHE_MAX_STALE_SECONDS", 60, 0, DAY),
    offlineTtlSeconds: read.integer("CACHE_OFFLINE_TTL_SECONDS", 5, 0, DAY),
    maxEntries: read.integer("CACHE_MAX_ENTRIES", 20_000, 1, 10_000_000),
    maxBytes: read.integer("CACHE_MAX_BYTES", defaultMaxBytes, 1024, 16 * 1024 * 1024 * 1024),
  };
}
