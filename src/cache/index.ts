import type { CacheConfig } from "../config/cache.ts";
import type { CloudflareImagesApi } from "../upstream/index.ts";
import { cachedApi } from "./cached-api.ts";
import { type CacheEvent, EntityCache, type ReadScope } from "./entity-cache.ts";
import { RedisLevel } from "./redis-level.ts";
import { Specs } from "./specs.ts";

export type { CacheConfig, EntityKind } from "../config/cache.ts";
export type { CacheEvent, ReadScope } from "./entity-cache.ts";

/** The entity cache of one app: every request's api is bound to it with the request's scope. */
export interface EntityCacheLayer {
  bind(api: CloudflareImagesApi, scope: ReadScope): CloudflareImagesApi;
  /** True while the Redis level is in use (false without Redis, or while it is out of reach). */
  readonly shared: boolean;
  /** The in-process level's entries, and their JSON size in bytes. */
  size(): { entries: number; bytes: number };
  close(): void;
}

export interface EntityCacheOptions {
  /** Set: Redis is the level replicas share, and carries every write's invalidation to them. */
  redisUrl: string | undefined;
  /** Keeps accounts apart in a Redis several deployments may share. */
  accountId: string;
  onEvent(event: CacheEvent): void;
  /** Told when the shared level goes out of reach (false) and comes back (true). */
  onSharedLevel(reachable: boolean): void;
}

/** Undefined with `CACHE=off`: requests then read the upstream directly. */
export function createEntityCache(config: CacheConfig, options: EntityCacheOptions): EntityCacheLayer | undefined {
  if (!config.enabled) return undefined;
  const longestTtl = Math.max(config.notFoundTtlSeconds, ...Object.values(config.ttlSeconds));
  const redis =
    options.redisUrl === undefined
      ? undefined
      : new RedisLevel(options.redisUrl, {
          prefix: `images-cache:${options.accountId}`,
          // Outlives every entry: an expired version would read as never bumped.
          versionTtlMs: (longestTtl + config.maxStaleSeconds + 3600) * 1000,
          onReachable: options.onSharedLevel,
        });
  const cache = new EntityCache(config, redis, options.onEvent);
  const specs = new Specs(config);
  return {
    bind: (api, scope) => cachedApi(api, cache, specs, scope),
    get shared() {
      return redis?.ready ?? false;
    },
    size: () => cache.size(),
    close: () => cache.close(),
  };
}
