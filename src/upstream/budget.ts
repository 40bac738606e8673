export type BudgetGrant = { ok: true } | { ok: false; retryAfter: number; caller?: boolean };

/** What the transport asks before each call to the global API. */
export interface UpstreamBudget {
  readonly limit: number;
  /** Takes one request for `caller`, or says how many seconds to wait (`caller`: its own share is spent). */
  take(caller?: string): BudgetGrant | Promise<BudgetGrant>;
  /** Requests left before the budget refuses, as last known. */
  remaining(): number;
  /** The upstream's `Ratelimit` header of an answer. */
  observe(ratelimitHeader: string | undefined): void;
  /** The upstream answered 429 with this `Retry-After`. */
  block(retryAfterSeconds: number): void;
}

/**
 * A process-wide request budget. The upstream blocks the whole account for five minutes once it
 * sees more than 1,200 requests in five minutes, so the client refuses locally before that line
 * (https://developers.cloudflare.com/fundamentals/api/reference/limits/). The upstream's `Ratelimit`
 * header, when present, tightens the local view.
 */
export class RequestBudget implements UpstreamBudget {
  readonly limit: number;
  readonly windowMs: number;
  readonly #now: () => number;
  #windowStart: number;
  #used = 0;
  /** Remaining requests the upstream last reported, and until when that report holds. */
  #reported: { remaining: number; until: number } | undefined;
  #blockedUntil = 0;

  constructor(options: { limit: number; windowSeconds: number; now?: () => number }) {
    this.limit = options.limit;
    this.windowMs = options.windowSeconds * 1000;
    this.#now = options.now ?? Date.now;
    this.#windowStart = this.#now();
  }

  /** Takes one request from the budget, or returns the seconds to wait when it is spent. */
  take(): BudgetGrant {
    const now = this.#roll();
    if (now < this.#blockedUntil) return { ok: false, retryAfter: secondsUntil(this.#blockedUntil, now) };
    if (this.#used >= this.limit)
      return { ok: false, retryAfter: secondsUntil(this.#windowStart + this.windowMs, now) };
    if (this.#reported && now < this.#reported.until) {
      if (this.#reported.remaining <= 0) return { ok: false, retryAfter: secondsUntil(this.#reported.until, now) };
      this.#reported.remaining -= 1;
    }
    this.#used += 1;
    return { ok: true };
  }

  /** Requests left before the local budget refuses. */
  remaining(): number {
    const now = this.#roll();
    if (now < this.#blockedUntil) return 0;
    const local = this.limit - this.#used;
    return this.#reported && now < this.#reported.until ? Math.min(local, this.#reported.remaining) : local;
  }

  /** Reads `Ratelimit: "default";r=<remaining>;t=<seconds>` (changelog 2025-09-03). */
  observe(ratelimitHeader: string | undefined): void {
    if (!ratelimitHeader) return;
    const remaining = /(?:^|;)\s*r=(\d+)/.exec(ratelimitHeader)?.[1];
    const reset = /(?:^|;)\s*t=(\d+)/.exec(ratelimitHeader)?.[1];
    if (remaining === undefined || reset === undefined) return;
    this.#reported = { remaining: Number(remaining), until: this.#now() + Number(reset) * 1000 };
  }

  /** The upstream answered 429: nothing goes out until its `Retry-After` has passed. */
  block(retryAfterSeconds: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, this.#now() + retryAfterSeconds * 1000);
  }

  #roll(): number {
    const now = this.#now();
    if (now - this.#windowStart >= this.windowMs) {
      this.#windowStart = now;
      this.#used = 0;
    }
    return now;
  }
}

function secondsUntil(time: number, now: number): number {
  return Math.max(1, Math.ceil((time - now) / 1000));
}
