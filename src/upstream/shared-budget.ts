import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { failFastRedis } from "../redis.ts";
import { type BudgetGrant, RequestBudget, type UpstreamBudget } from "./budget.ts";

export interface SharedBudgetOptions {
  /** Calls to the global API per window, for the whole account. */
  limit: number;
  windowSeconds: number;
  /** Keys the shared counters; never a credential. */
  accountId: string;
  /** Absent: this process is the only one calling the account. */
  redisUrl?: string | undefined;
  /** Replicas sharing the account: while Redis is out of reach each one keeps to its share. */
  replicas: number;
  /** The most of the window one caller may take. */
  callerShare: number;
  /** Told when Redis goes out of reach (true) and when it is back (false). */
  onDegraded?: (degraded: boolean) => void;
}

/**
 * Raises a counter to at least ARGV[1] and, when it does, makes it end with the upstream's own
 * window (ARGV[2] ms): the `Ratelimit` header tightens every replica's view at once.
 */
const RAISE_TO = `
local current = tonumber(redis.call('get', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return current`;

/**
 * The account's request budget, one for every replica: the window's counter, each caller's share
 * and the upstream's block live in Redis (atomic scripts of rate-limiter-flexible). When Redis
 * cannot be reached, each replica falls back to its own share of both. Without Redis, the same
 * rules hold in this process alone.
 */
export class SharedBudget implements UpstreamBudget {
  readonly limit: number;
  readonly #options: SharedBudgetOptions;
  readonly #redis: Redis | undefined;
  /** This process's view: the upstream's last `Ratelimit` report and `Retry-After`; the window too without Redis. */
  readonly #local: RequestBudget;
  readonly #window: RateLimiterRedis | undefined;
  readonly #windowInsurance: RateLimiterMemory | undefined;
  readonly #shares: RateLimiterRedis | RateLimiterMemory | undefined;
  readonly #blocks: RateLimiterRedis | undefined;
  readonly #accountKey: string;
  #sharedRemaining: number;
  /** When the shared window last seen ends (ms since the epoch). */
  #sharedResetAt = 0;
  #degraded = false;
  #closed = false;

  constructor(options: SharedBudgetOptions) {
    this.#options = options;
    this.limit = options.limit;
    this.#sharedRemaining = options.limit;
    this.#accountKey = "window";
    const duration = options.windowSeconds;
    const keyPrefix = `cf-images:budget:${options.accountId}`;
    const callerPoints = Math.max(1, Math.floor(options.limit * options.callerShare));
    const shareOf = (points: number) => Math.max(1, Math.floor(points / options.replicas));
    const sharesApply = options.callerShare < 1;
    if (options.redisUrl === undefined) {
      this.#local = new RequestBudget({ limit: options.limit, windowSeconds: duration });
      this.#shares = sharesApply
        ? new RateLimiterMemory({ points: callerPoints, duration, keyPrefix: `${keyPrefix}:caller` })
        : undefined;
      return;
    }
    // The shared counter is the window; this process's own count would only refuse early.
    this.#local = new RequestBudget({ limit: Number.MAX_SAFE_INTEGER, windowSeconds: duration });
    const redis = failFastRedis(options.redisUrl);
    redis.on("error", () => this.#setDegraded(true));
    redis.on("close", () => this.#setDegraded(true));
    redis.on("ready", () => this.#setDegraded(false));
    redis.defineCommand("raiseTo", { numberOfKeys: 1, lua: RAISE_TO });
    this.#redis = redis;
    const shared = { storeClient: redis, rejectIfRedisNotReady: true, duration };
    this.#windowInsurance = new RateLimiterMemory({ points: shareOf(options.limit), duration, keyPrefix });
    this.#window = new RateLimiterRedis({
      ...shared,
      points: options.limit,
      keyPrefix,
      insuranceLimiter: this.#windowInsurance,
    });
    this.#shares = sharesApply
      ? new RateLimiterRedis({
          ...shared,
          points: callerPoints,
          keyPrefix: `${keyPrefix}:caller`,
          insuranceLimiter: new RateLimiterMemory({ points: shareOf(callerPoints), duration }),
        })
      : undefined;
    this.#blocks = new RateLimiterRedis({
      ...shared,
      points: 1,
      keyPrefix: `${keyPrefix}:blocked`,
      insuranceLimiter: new RateLimiterMemory({ points: 1, duration }),
    });
  }

  async take(caller?: string): Promise<BudgetGrant> {
    // The caller's share first: a caller over it must not spend the window others still need.
    const callerKey = caller === undefined ? undefined : fingerprint(caller);
    if (callerKey !== undefined && this.#shares) {
      const share = await consume(this.#shares, callerKey);
      if (!share.ok) return { ...share, caller: true };
    }
    const refused = (grant: { ok: false; retryAfter: number }): BudgetGrant => {
      // Refused for everyone: the caller's share is given back, it spent nothing upstream.
      if (callerKey !== undefined && this.#shares) void this.#shares.reward(callerKey).catch(() => undefined);
      return grant;
    };
    const local = this.#local.take();
    if (!local.ok) return refused(local);
    const [window, blocked] = await Promise.all([
      this.#window
        ? consume(this.#window, this.#accountKey)
        : ({ ok: true, remaining: undefined, msBeforeNext: 0 } as const),
      this.#blockedFor(),
    ]);
    if (blocked > 0) {
      this.#local.block(blocked);
      return refused({ ok: false, retryAfter: blocked });
    }
    if (!window.ok) return refused(window);
    if (window.remaining !== undefined) {
      this.#sharedRemaining = window.remaining;
      this.#sharedResetAt = Date.now() + window.msBeforeNext;
    }
    return { ok: true };
  }

  remaining(): number {
    return Math.min(this.#local.remaining(), this.#window ? this.#sharedRemaining : this.limit);
  }

  observe(ratelimitHeader: string | undefined): void {
    this.#local.observe(ratelimitHeader);
    const report = parseRatelimit(ratelimitHeader);
    if (!report || !this.#window) return;
    const used = this.limit - report.remaining;
    if (used <= 0) return;
    const ms = String(Math.max(1, report.resetSeconds) * 1000);
    const key = this.#window.getKey(this.#accountKey);
    void (this.#redis as RaisingRedis).raiseTo(key, String(used), ms).catch(() => undefined);
    // The fallback share follows the upstream's view too.
    this.#tightenInsurance(used, report.resetSeconds);
  }

  /**
   * The fallback share starts from what was already used, so that losing Redis late in a window
   * does not hand each replica a fresh share of calls already made.
   */
  #tightenInsurance(used: number, seconds: number): void {
    const insurance = this.#windowInsurance;
    if (!insurance || used <= 0) return;
    const share = Math.ceil(used / this.#options.replicas);
    void insurance
      .get(this.#accountKey)
      .then((current) => {
        if ((current?.consumedPoints ?? 0) >= share) return undefined;
        return insurance.set(this.#accountKey, share, Math.max(1, Math.ceil(seconds)));
      })
      .catch(() => undefined);
  }

  block(retryAfterSeconds: number): void {
    this.#local.block(retryAfterSeconds);
    if (retryAfterSeconds > 0) void this.#blocks?.block(this.#accountKey, retryAfterSeconds).catch(() => undefined);
  }

  /** True while the counters in Redis are in use (false without Redis, or while it is out of reach). */
  get shared(): boolean {
    return this.#redis?.status === "ready";
  }

  /** True while Redis cannot be reached and this replica keeps to its share. */
  get degraded(): boolean {
    return this.#degraded;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#redis?.disconnect();
  }

  /** Seconds the upstream's shared block still holds (0: none). */
  async #blockedFor(): Promise<number> {
    if (!this.#blocks) return 0;
    try {
      const state = await this.#blocks.get(this.#accountKey);
      if (!state || state.consumedPoints <= 1) return 0;
      return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
    } catch {
      return 0;
    }
  }

  #setDegraded(degraded: boolean): void {
    if (degraded === this.#degraded || this.#closed) return;
    this.#degraded = degraded;
    const left = (this.#sharedResetAt - Date.now()) / 1000;
    if (degraded && left > 0) this.#tightenInsurance(this.limit - this.#sharedRemaining, left);
    this.#options.onDegraded?.(degraded);
  }
}

type RaisingRedis = Redis & { raiseTo(key: string, value: string, ms: string): Promise<number> };

async function consume(
  limiter: RateLimiterRedis | RateLimiterMemory,
  key: string,
): Promise<{ ok: true; remaining: number; msBeforeNext: number } | { ok: false; retryAfter: number }> {
  try {
    const result = await limiter.consume(key);
    return { ok: true, remaining: result.remainingPoints, msBeforeNext: result.msBeforeNext };
  } catch (error) {
    if (error instanceof RateLimiterRes) {
      return { ok: false, retryAfter: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
    }
    // Neither Redis nor the insurance answered (not expected): refusing is the safe side.
    return { ok: false, retryAfter: 1 };
  }
}

/** Reads `Ratelimit: "default";r=<remaining>;t=<seconds>`. */
function parseRatelimit(header: string | undefined): { remaining: number; resetSeconds: number } | undefined {
  if (!header) return undefined;
  const remaining = /(?:^|;)\s*r=(\d+)/.exec(header)?.[1];
  const reset = /(?:^|;)\s*t=(\d+)/.exec(header)?.[1];
  if (remaining === undefined || reset === undefined) return undefined;
  return { remaining: Number(remaining), resetSeconds: Number(reset) };
}

/** Callers appear in Redis only as a hash: an address or a subject is nobody else's business. */
function fingerprint(caller: string): string {
  return createHash("sha256").update(caller).digest("base64url").slice(0, 22);
}
