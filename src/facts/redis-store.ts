import type { Redis } from "ioredis";
import { failFastRedis } from "../redis.ts";
import type { FactsRecord } from "./facts.ts";
import { type FactsStore, keyOf } from "./store.ts";

/** Redis holds a cache, not the truth: facts not read for this long are computed again. */
const RECORD_TTL_SECONDS = 30 * 86_400;

/** A claim only while no record exists: a replica that read "unknown" just before another's `put` stops here. */
const CLAIM = `
if redis.call('exists', KEYS[1]) == 1 then return 0 end
if redis.call('set', KEYS[2], '1', 'PX', ARGV[1], 'NX') then return 1 end
return 0`;

type ClaimingRedis = Redis & { claimFacts(record: string, claim: string, ms: number): Promise<number> };

/**
 * Facts and claims in the Redis every replica shares: a claim is `SET NX` with an expiry, so of
 * five replicas reading one new image, one downloads and decodes it. While Redis is out of reach
 * nothing is known and nothing is claimed: the fields stay `PENDING` rather than computed five times.
 */
export class RedisFactsStore implements FactsStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #claimMs: number;

  constructor(options: { redisUrl: string; accountId: string; claimSeconds: number }) {
    this.#redis = failFastRedis(options.redisUrl, { autoPipelining: true });
    this.#redis.on("error", () => undefined);
    this.#redis.defineCommand("claimFacts", { numberOfKeys: 2, lua: CLAIM });
    this.#prefix = `cf-images:facts:${options.accountId}`;
    this.#claimMs = options.claimSeconds * 1000;
  }

  async getMany(scope: string, imageIds: readonly string[]): Promise<Map<string, FactsRecord>> {
    const found = new Map<string, FactsRecord>();
    if (imageIds.length === 0) return found;
    try {
      const values = await this.#redis.mget(imageIds.map((id) => this.#record(scope, id)));
      values.forEach((value, i) => {
        const record = value === null ? undefined : parseRecord(value);
        const id = imageIds[i];
        if (record && id !== undefined) found.set(id, record);
      });
    } catch {
      // Unknown for now: the next read asks again.
    }
    return found;
  }

  async claim(scope: string, imageId: string): Promise<boolean> {
    try {
      const redis = this.#redis as ClaimingRedis;
      return (await redis.claimFacts(this.#record(scope, imageId), this.#claim(scope, imageId), this.#claimMs)) === 1;
    } catch {
      return false;
    }
  }

  async put(scope: string, imageId: string, record: FactsRecord): Promise<void> {
    try {
      await this.#redis
        .multi()
        .set(this.#record(scope, imageId), JSON.stringify(record), "EX", RECORD_TTL_SECONDS)
        .del(this.#claim(scope, imageId))
        .exec();
    } catch {
      // Lost: computed again after the claim lapses.
    }
  }

  async release(scope: string, imageId: string): Promise<void> {
    await this.#redis.del(this.#claim(scope, imageId)).catch(() => undefined);
  }

  async forget(scope: string, imageId: string): Promise<void> {
    await this.#redis.del(this.#record(scope, imageId)).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }

  #record(scope: string, imageId: string): string {
    return `${this.#prefix}:record:${keyOf(scope, imageId)}`;
  }

  #claim(scope: string, imageId: string): string {
    return `${this.#prefix}:claim:${keyOf(scope, imageId)}`;
  }
}

function parseRecord(text: string): FactsRecord | undefined {
  try {
    const value = JSON.parse(text) as FactsRecord;
    return value.status === "READY" || value.status === "FAILED" ? value : undefined;
  } catch {
    return undefined;
  }
}
