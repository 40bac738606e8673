import { Redis } from "ioredis";

/**
 * A Redis client that fails fast when Redis is gone: no offline queue, no retry of a command, a
 * short command timeout. Redis only speeds things up and coordinates replicas, so a command that
 * waited for a reconnection would stall requests that can go on without it; the client keeps
 * reconnecting in the background (at most a second apart) and its users watch its status.
 */
export function failFastRedis(url: string, options: { autoPipelining?: boolean } = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
    // Lookups made in one tick (a page's images, their versions) travel in one round trip.
    enableAutoPipelining: options.autoPipelining ?? false,
  });
}
