import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { Dispatcher } from "undici";
import {
  aborted,
  DEADLINE,
  failureOfSignal,
  fingerprint,
  headerValue,
  readEnvelope,
  readStream,
  unavailable,
} from "./answers.ts";
import { BatchTokenSource } from "./batch-token.ts";
import type { UpstreamBudget } from "./budget.ts";
import {
  UpstreamAuthenticationError,
  UpstreamError,
  UpstreamRateLimitedError,
  UpstreamServerError,
  UpstreamUnavailableError,
} from "./errors.ts";
import {
  BatchHost,
  type BatchHostOptions,
  batchTokenRequest,
  closeHost,
  createHost,
  type Host,
  type Target,
} from "./hosts.ts";
import type { HttpMethod, RawAnswer, StreamedAnswer, UpstreamHost, UpstreamRequest } from "./http-types.ts";
import { InFlightCalls } from "./in-flight.ts";

export interface TransportOptions {
  /** e.g. `https://api.cloudflare.com/client/v4`. */
  baseUrl: string;
  budget: UpstreamBudget;
  /** Cloudflare's batch host, used with a batch token for the endpoints it serves; absent: never. */
  batch?: BatchHostOptions | undefined;
  connections: number;
  /** Connections for requests that stream a body (uploads), so a slow uploader never holds a reader's. */
  uploadConnections: number;
  connectTimeoutMs: number;
  /** Time to the response headers, and between body chunks. */
  requestTimeoutMs: number;
  /**
   * One bound on a call across all its tries and back-offs, up to its answer (a stream's headers).
   * Calls that send a streamed body (uploads) are bounded by the idle timeouts instead.
   */
  deadlineMs: number;
  /** Retries of idempotent calls on 5xx, 429 and connection failures. */
  retries: number;
  retryBaseDelayMs: number;
  /** A 429 whose `Retry-After` is longer than this is answered at once instead of waited out. */
  maxRetryAfterSeconds: number;
  onEvent?: (event: TransportEvent) => void;
  /** Where calls to an origin go instead of an undici Pool (tests: an emulator in this process). */
  dispatcherFor?: ((origin: string) => Dispatcher) | undefined;
}

export type { BatchHostOptions };

export type TransportEvent =
  | { type: "response"; method: HttpMethod; route: string; status: number; durationMs: number; host: UpstreamHost }
  | { type: "failure"; method: HttpMethod; route: string; error: string; durationMs: number; host: UpstreamHost }
  | { type: "retry"; method: HttpMethod; route: string; attempt: number }
  | { type: "coalesced"; route: string }
  | { type: "budget-refused"; route: string };

/**
 * The one path every upstream call takes: auth header, envelope unwrap, typed errors, timeouts,
 * retries of idempotent calls, the request budget, and coalescing of identical in-flight GETs.
 */
export class Transport {
  readonly #options: TransportOptions;
  readonly #global: Host;
  readonly #batch: BatchHost | undefined;
  readonly #inFlight = new InFlightCalls();

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#global = createHost("global", options.baseUrl, options);
    const batch = options.batch;
    if (batch) {
      // The token fetch takes the transport's own path: budgeted and retried like any call.
      const tokens = new BatchTokenSource({ fetchToken: () => this.json(batchTokenRequest(batch)) });
      this.#batch = new BatchHost(batch, options, tokens);
    }
  }

  get budget(): UpstreamBudget {
    return this.#options.budget;
  }

  /** Batch tokens fetched so far (0 when the batch host is not used). */
  get batchTokenFetches(): number {
    return this.#batch?.tokenFetches ?? 0;
  }

  /** Calls a JSON endpoint and returns the envelope's `result`. Identical concurrent GETs share one call. */
  json(request: UpstreamRequest): Promise<unknown> {
    // A caller that has gone starts nothing: not even a shared call it would leave at once.
    if (request.signal?.aborted) return Promise.reject(aborted(request.route));
    if (request.method !== "GET") {
      // A GET that began before a write may answer the old state: later readers must not join it.
      return this.#withRetries(request, (signal, target) => this.#once(request, target, signal, readEnvelope)).finally(
        () => this.#inFlight.clear(),
      );
    }
    return this.#coalesced(request);
  }

  /** Calls an endpoint that answers raw bytes (the blob). Not coalesced: each caller gets its own stream. */
  stream(request: UpstreamRequest): Promise<StreamedAnswer> {
    if (request.signal?.aborted) return Promise.reject(aborted(request.route));
    return this.#withRetries(request, (signal, target) => this.#once(request, target, signal, readStream));
  }

  /** Waits for calls in flight, or with `force` cuts them. */
  async close({ force = false }: { force?: boolean } = {}): Promise<void> {
    const hosts = this.#batch ? [this.#global, this.#batch.host] : [this.#global];
    await Promise.all(hosts.map((host) => closeHost(host, force)));
  }

  #coalesced(request: UpstreamRequest): Promise<unknown> {
    const key = `${fingerprint(request.token)} ${request.path}?${request.query?.toString() ?? ""} ${request.coalesceTag ?? ""}`;
    const start = (signal: AbortSignal) => {
      const shared = { ...request, signal };
      return this.#withRetries(shared, (tried, target) => this.#once(shared, target, tried, readEnvelope));
    };
    return this.#inFlight.join(key, request.signal, start, {
      onJoined: () => this.#options.onEvent?.({ type: "coalesced", route: request.route }),
      gone: () => aborted(request.route),
    });
  }

  async #withRetries<T>(
    request: UpstreamRequest,
    attempt: (signal: AbortSignal, target: Target) => Promise<T>,
  ): Promise<T> {
    const idempotent = request.method === "GET";
    const deadline = new AbortController();
    const bounded = request.body === undefined;
    const endsAt = bounded ? performance.now() + this.#options.deadlineMs : Number.POSITIVE_INFINITY;
    const timer = bounded ? setTimeout(() => deadline.abort(DEADLINE), this.#options.deadlineMs) : undefined;
    const signal = request.signal ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
    try {
      return await this.#tries(request, attempt, signal, endsAt, idempotent);
    } finally {
      // Cleared once the answer is in: a streamed body is then bounded by the idle timeout alone.
      clearTimeout(timer);
    }
  }

  async #tries<T>(
    request: UpstreamRequest,
    attempt: (signal: AbortSignal, target: Target) => Promise<T>,
    signal: AbortSignal,
    endsAt: number,
    idempotent: boolean,
  ): Promise<T> {
    // The batch host refused its token: once a fresh one is tried, then the global API serves this call.
    let batchRefusals = 0;
    for (let tries = 0; ; tries++) {
      if (signal.aborted) throw failureOfSignal(signal, request.route);
      const target =
        (batchRefusals < 2 && (await this.#batchTarget(request, signal, endsAt))) ||
        (await this.#globalTarget(request));
      try {
        return await attempt(signal, target);
      } catch (error) {
        if (target.host.name === "batch" && error instanceof UpstreamAuthenticationError) {
          this.#batch?.refused(target.token);
          batchRefusals += 1;
          // A streamed body is gone once sent: that call fails, the next one gets a fresh token.
          if (request.body !== undefined) throw error;
          tries -= 1;
          continue;
        }
        const delay = idempotent && tries < this.#options.retries ? this.#retryDelay(error, tries) : undefined;
        // A back-off that would end past the deadline is not started: the caller gets the failure now.
        if (delay === undefined || signal.aborted || performance.now() + delay >= endsAt) throw error;
        this.#options.onEvent?.({ type: "retry", method: request.method, route: request.route, attempt: tries + 1 });
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          throw failureOfSignal(signal, request.route);
        }
      }
    }
  }

  /** The batch host with a token and a slot in its second, when it serves this call; else undefined. */
  async #batchTarget(request: UpstreamRequest, signal: AbortSignal, endsAt: number): Promise<Target | undefined> {
    const batch = this.#batch;
    if (!batch?.serves(request)) return undefined;
    const target = await batch.target(request, signal, endsAt);
    if (target !== "busy") return target;
    if (signal.aborted) throw failureOfSignal(signal, request.route);
    this.#options.onEvent?.({ type: "budget-refused", route: request.route });
    throw new UpstreamRateLimitedError(
      `Cloudflare Images ${request.route} not called: the batch host's requests per second are spent`,
      request.route,
      1,
      { local: true },
    );
  }

  /** The global API, once the shared budget (and the caller's share of it) grants the call. */
  async #globalTarget(request: UpstreamRequest): Promise<Target> {
    const grant = await this.#options.budget.take(request.caller);
    if (!grant.ok) {
      this.#options.onEvent?.({ type: "budget-refused", route: request.route });
      const whose = grant.caller
        ? "this caller's share of the upstream request budget is spent"
        : "the upstream request budget is spent";
      throw new UpstreamRateLimitedError(
        `Cloudflare Images ${request.route} not called: ${whose}`,
        request.route,
        grant.retryAfter,
        {
          local: true,
        },
      );
    }
    return { host: this.#global, path: request.path, token: request.token };
  }

  /** Milliseconds before the next try, or undefined when the failure is not worth retrying. */
  #retryDelay(error: unknown, tries: number): number | undefined {
    if (error instanceof UpstreamRateLimitedError) {
      if (error.local || error.retryAfter > this.#options.maxRetryAfterSeconds) return undefined;
      return error.retryAfter * 1000;
    }
    if (!(error instanceof UpstreamServerError || error instanceof UpstreamUnavailableError)) return undefined;
    // Full jitter over an exponential ceiling.
    return Math.random() * this.#options.retryBaseDelayMs * 2 ** tries;
  }

  async #once<T>(
    request: UpstreamRequest,
    target: Target,
    signal: AbortSignal,
    read: (answer: RawAnswer, request: UpstreamRequest) => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const headers: Record<string, string> = { authorization: `Bearer ${target.token}`, accept: "application/json" };
    let body: string | Readable | undefined;
    if (request.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(request.json);
    } else if (request.body) {
      headers["content-type"] = request.body.contentType;
      body = Readable.from(request.body.stream);
    }
    const query = request.query?.toString();
    let answer: RawAnswer;
    try {
      const pool = request.body ? target.host.uploadPool : target.host.pool;
      const response = await pool.request({
        method: request.method,
        path: `${target.host.basePath}${target.path}${query ? `?${query}` : ""}`,
        headers,
        body,
        signal,
      });
      answer = { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      const failure = signal.aborted ? failureOfSignal(signal, request.route) : unavailable(request.route, error);
      this.#report(request, target, started, failure);
      throw failure;
    }
    const global = target.host.name === "global";
    if (global) this.#options.budget.observe(headerValue(answer.headers.ratelimit));
    try {
      const result = await read(answer, request);
      this.#report(request, target, started, undefined, answer.status);
      return result;
    } catch (error) {
      const failure =
        error instanceof UpstreamError
          ? error
          : signal.aborted
            ? failureOfSignal(signal, request.route)
            : unavailable(request.route, error);
      // A batch 429 is that token's second, not the account's window.
      if (global && failure instanceof UpstreamRateLimitedError && !failure.local) {
        this.#options.budget.block(failure.retryAfter);
      }
      this.#report(request, target, started, failure, answer.status);
      throw failure;
    }
  }

  #report(
    request: UpstreamRequest,
    target: Target,
    started: number,
    failure: UpstreamError | undefined,
    status?: number,
  ): void {
    const durationMs = performance.now() - started;
    const { method, route } = request;
    const host = target.host.name;
    if (status !== undefined) this.#options.onEvent?.({ type: "response", method, route, status, durationMs, host });
    else if (failure)
      this.#options.onEvent?.({ type: "failure", method, route, error: failure.name, durationMs, host });
  }
}
