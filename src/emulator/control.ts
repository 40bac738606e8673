import { apiErrors } from "./errors.ts";
import { ApiError, DROP_CONNECTION, failureResponse } from "./http.ts";

export interface FaultSpec {
  /** HTTP method, or `*`. */
  method: string;
  /** Route template as counted, e.g. `/accounts/{account_id}/images/v1/{image_id}`, or `*`. */
  route: string;
  /** How many matching requests fail; then the fault is gone. */
  count: number;
  status?: number;
  errors?: { code: number; message: string }[];
  /** Adds `Retry-After` (seconds). */
  retryAfter?: number;
  /** Destroy the connection instead of answering. */
  drop?: boolean;
}

export interface RateLimitSpec {
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
  /** How long every request is refused once the limit is crossed (the real API: 5 minutes). */
  blockSeconds: number;
  /** Requests per second per batch token on the batch host (the real one: 200); outside `limit`. */
  batchPerSecond?: number;
}

export const REAL_RATE_LIMIT: RateLimitSpec = { limit: 1200, windowSeconds: 300, blockSeconds: 300 };
export const BATCH_REQUESTS_PER_SECOND = 200;

/**
 * Test hooks and counters: request counts per route, injected latency and faults, and the optional
 * account rate limiter. Applied to every counted request before it reaches its handler.
 */
export class Control {
  readonly counts = new Map<string, number>();
  fixedLatencyMs: number;
  readonly routeLatencyMs = new Map<string, number>();
  faults: FaultSpec[] = [];
  rateLimit: RateLimitSpec | undefined;
  #windowStart = 0;
  #windowCount = 0;
  #blockedUntil = 0;
  /** One-second windows per batch token. */
  readonly #batchWindows = new Map<string, { start: number; count: number }>();
  readonly #now: () => number;
  readonly #startOptions: { latencyMs: number; rateLimit: RateLimitSpec | undefined };

  constructor(options: { latencyMs: number; rateLimit: RateLimitSpec | undefined; now: () => number }) {
    this.fixedLatencyMs = options.latencyMs;
    this.rateLimit = options.rateLimit;
    this.#now = options.now;
    this.#startOptions = { latencyMs: options.latencyMs, rateLimit: options.rateLimit };
  }

  /** Back to how the emulator started: no counts or faults, the start latency and rate limit. */
  reset(): void {
    this.counts.clear();
    this.faults = [];
    this.routeLatencyMs.clear();
    this.fixedLatencyMs = this.#startOptions.latencyMs;
    this.setRateLimit(this.#startOptions.rateLimit);
  }

  /** Turns the limiter on (with a fresh window) or off. */
  setRateLimit(spec: RateLimitSpec | undefined): void {
    this.rateLimit = spec;
    this.#windowStart = 0;
    this.#windowCount = 0;
    this.#blockedUntil = 0;
    this.#batchWindows.clear();
  }

  /**
   * Counts the request, waits the injected latency, and answers for it when a fault or the limiter
   * says so. Delivery and upload URLs live on other hosts upstream, outside the API's rate limit.
   */
  async admit(method: string, route: string, rateLimited = true): Promise<Response | undefined> {
    const key = `${method} ${route}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const latency = this.routeLatencyMs.get(key) ?? this.routeLatencyMs.get(`* ${route}`) ?? this.fixedLatencyMs;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));

    const fault = this.faults.find(
      (f) => f.count > 0 && (f.method === "*" || f.method === method) && (f.route === "*" || f.route === route),
    );
    if (fault) {
      fault.count -= 1;
      this.faults = this.faults.filter((f) => f.count > 0);
      if (fault.drop) return DROP_CONNECTION;
      const status = fault.status ?? 500;
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) };
      const errors = fault.errors ?? [{ code: status === 429 ? 10013 : 10001, message: `Injected fault (${status})` }];
      return failureResponse(new ApiError(status, errors, headers));
    }
    return rateLimited ? this.#applyRateLimit() : undefined;
  }

  /**
   * The batch host's own limit, per token, applied only while the limiter is on. Going over is
   * answered 429 for the rest of that second; nothing is blocked for longer (none is documented).
   */
  admitBatchToken(token: string): Response | undefined {
    if (!this.rateLimit) return undefined;
    const now = this.#now();
    const perSecond = this.rateLimit.batchPerSecond ?? BATCH_REQUESTS_PER_SECOND;
    let window = this.#batchWindows.get(token);
    if (!window || now - window.start >= 1000) {
      if (this.#batchWindows.size > 1000) this.#dropOldBatchWindows(now);
      window = { start: now, count: 0 };
      this.#batchWindows.set(token, window);
    }
    window.count += 1;
    if (window.count <= perSecond) return undefined;
    return failureResponse(apiErrors.rateLimited(Math.max(1, Math.ceil((window.start + 1000 - now) / 1000))));
  }

  #dropOldBatchWindows(now: number): void {
    for (const [token, window] of this.#batchWindows) if (now - window.start >= 1000) this.#batchWindows.delete(token);
  }

  /** Headers the real API sends on every answer (changelog 2025-09-03), when the limiter is on. */
  rateLimitHeaders(): Record<string, string> {
    if (!this.rateLimit) return {};
    const { limit, windowSeconds } = this.rateLimit;
    const now = this.#now();
    const reset = Math.max(0, Math.ceil((this.#windowStart + windowSeconds * 1000 - now) / 1000));
    return {
      ratelimit: `"default";r=${Math.max(0, limit - this.#windowCount)};t=${reset}`,
      "ratelimit-policy": `"default";q=${limit};w=${windowSeconds}`,
    };
  }

  #applyRateLimit(): Response | undefined {
    if (!this.rateLimit) return undefined;
    const now = this.#now();
    if (now < this.#blockedUntil) return this.#refuse(now);
    if (now - this.#windowStart >= this.rateLimit.windowSeconds * 1000) {
      this.#windowStart = now;
      this.#windowCount = 0;
    }
    this.#windowCount += 1;
    if (this.#windowCount > this.rateLimit.limit) {
      this.#blockedUntil = now + this.rateLimit.blockSeconds * 1000;
      return this.#refuse(now);
    }
    return undefined;
  }

  #refuse(now: number): Response {
    const retryAfter = Math.max(1, Math.ceil((this.#blockedUntil - now) / 1000));
    const response = failureResponse(apiErrors.rateLimited(retryAfter));
    for (const [name, value] of Object.entries(this.rateLimitHeaders())) response.headers.set(name, value);
    return response;
  }
}
