import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { failFastRedis } from "../redis.ts";

export interface FactsBudgetOptions {
  /** The account's upstream budget: calls per window. */
  limit: number;
  windowSeconds: number;
  /** The backfill's most: this share of `limit` per window. */
  share: number;
  accountId: string;
  /** Shared by every replica when set; without it (or while it is down) each replica keeps to its part. */
  redisUrl?: string | undefined;
  replicas: number;
}

/**
 * The backfill's own allowance out of the account's budget, on top of the budget itself (every
 * download still takes its call from the shared window through the transport): background work
 * never takes more than `share` of a window, however many images wait.
 */
export class FactsBudget {
  readonly points: number;
  readonly #limiter: RateLimiterMemory | RateLimiterRedis;
  readonly #redis: ReturnType<typeof failFastRedis> | undefined;

  constructor(options: FactsBudgetOptions) {
    this.points = Math.max(1, Math.floor(options.limit * options.share));
    const keyPrefix = `cf-images:facts-budget:${options.accountId}`;
    const duration = options.windowSeconds;
    if (options.redisUrl === undefined) {
      this.#limiter = new RateLimiterMemory({ points: this.points, duration, keyPrefix });
      return;
    }
    this.#redis = failFastRedis(options.redisUrl);
    this.#redis.on("error", () => undefined);
    this.#limiter = new RateLimiterRedis({
      storeClient: this.#redis,
      rejectIfRedisNotReady: true,
      points: this.points,
      duration,
      keyPrefix,
      insuranceLimiter: new RateLimiterMemory({
        points: Math.max(1, Math.floor(this.points / options.replicas)),
        duration,
      }),
    });
  }

  /** 0: go ahead (one download taken); otherwise the seconds to wait. */
  async take(): Promise<number> {
    try {
      await this.#limiter.consume("backfill");
      return 0;
    } catch (error) {
      if (error instanceof RateLimiterRes) return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      return 1;
    }
  }

  close(): void {
    this.#redis?.disconnect();
  }
}
