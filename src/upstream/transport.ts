import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Pool, errors as undiciErrors } from "undici";
import type { RequestBudget } from "./budget.ts";
import {
  errorForStatus,
  errorForUnreadableAnswer,
  UpstreamAbortedError,
  UpstreamError,
  type UpstreamErrorItem,
  UpstreamRateLimitedError,
  UpstreamServerError,
  UpstreamUnavailableError,
} from "./errors.ts";

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export interface TransportOptions {
  /** e.g. `https://api.cloudflare.com/client/v4`. */
  baseUrl: string;
  budget: RequestBudget;
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
}

export type TransportEvent =
  | { type: "response"; method: HttpMethod; route: string; status: number; durationMs: number }
  | { type: "failure"; method: HttpMethod; route: string; error: string; durationMs: number }
  | { type: "retry"; method: HttpMethod; route: string; attempt: number }
  | { type: "coalesced"; route: string }
  | { type: "budget-refused"; route: string };

export interface UpstreamRequest {
  method: HttpMethod;
  /** Route template, for errors and metrics: `/accounts/{account_id}/images/v1/{image_id}`. */
  route: string;
  /** Path below the base URL, already encoded: `/accounts/abc/images/v1/xyz`. */
  path: string;
  query?: URLSearchParams;
  token: string;
  json?: unknown;
  /** A prepared body (multipart), sent as it is. */
  body?: { contentType: string; stream: AsyncIterable<Uint8Array> };
  signal?: AbortSignal | undefined;
}

export interface StreamedAnswer {
  contentType: string;
  contentLength: number | undefined;
  body: AsyncIterable<Uint8Array>;
}

interface Envelope {
  success?: boolean;
  errors?: UpstreamErrorItem[];
  result?: unknown;
}

interface InFlight {
  key: string;
  promise: Promise<unknown>;
  controller: AbortController;
  waiters: number;
}

/**
 * The one path every upstream call takes: auth header, envelope unwrap, typed errors, timeouts,
 * retries of idempotent calls, the request budget, and coalescing of identical in-flight GETs.
 */
export class Transport {
  readonly #options: TransportOptions;
  readonly #pool: Pool;
  readonly #uploadPool: Pool;
  readonly #basePath: string;
  readonly #inFlight = new Map<string, InFlight>();

  constructor(options: TransportOptions) {
    this.#options = options;
    const url = new URL(options.baseUrl);
    this.#basePath = url.pathname.replace(/\/$/, "");
    const timeouts = {
      connectTimeout: options.connectTimeoutMs,
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
    };
    this.#pool = new Pool(url.origin, { connections: options.connections, ...timeouts });
    this.#uploadPool = new Pool(url.origin, { connections: options.uploadConnections, ...timeouts });
  }

  get budget(): RequestBudget {
    return this.#options.budget;
  }

  /** Calls a JSON endpoint and returns the envelope's `result`. Identical concurrent GETs share one call. */
  json(request: UpstreamRequest): Promise<unknown> {
    // A caller that has gone starts nothing: not even a shared call it would leave at once.
    if (request.signal?.aborted) return Promise.reject(aborted(request.route));
    if (request.method !== "GET") {
      // A GET that began before a write may answer the old state: later readers must not join it.
      return this.#withRetries(request, (signal) => this.#once(request, signal, readEnvelope)).finally(() =>
        this.#inFlight.clear(),
      );
    }
    return this.#coalesced(request);
  }

  /** Calls an endpoint that answers raw bytes (the blob). Not coalesced: each caller gets its own stream. */
  stream(request: UpstreamRequest): Promise<StreamedAnswer> {
    if (request.signal?.aborted) return Promise.reject(aborted(request.route));
    return this.#withRetries(request, (signal) => this.#once(request, signal, readStream));
  }

  /** Waits for calls in flight, or with `force` cuts them. */
  async close({ force = false }: { force?: boolean } = {}): Promise<void> {
    await Promise.all([this.#pool, this.#uploadPool].map((pool) => (force ? pool.destroy() : pool.close())));
  }

  #coalesced(request: UpstreamRequest): Promise<unknown> {
    const key = `${fingerprint(request.token)} ${request.path}?${request.query?.toString() ?? ""}`;
    let flight = this.#inFlight.get(key);
    if (flight) {
      this.#options.onEvent?.({ type: "coalesced", route: request.route });
    } else {
      const controller = new AbortController();
      const shared = { ...request, signal: controller.signal };
      const promise = this.#withRetries(shared, (signal) => this.#once(shared, signal, readEnvelope)).finally(() => {
        if (this.#inFlight.get(key) === flight) this.#inFlight.delete(key);
      });
      flight = { key, promise, controller, waiters: 0 };
      this.#inFlight.set(key, flight);
    }
    return this.#wait(flight, request);
  }

  /** One caller's view of a shared call: it can give up alone; the call stops when every caller has. */
  #wait(flight: InFlight, request: UpstreamRequest): Promise<unknown> {
    const signal = request.signal;
    flight.waiters += 1;
    if (!signal) return flight.promise;
    return new Promise((resolve, reject) => {
      const leave = () => {
        flight.waiters -= 1;
        if (flight.waiters === 0) {
          // A later caller must start afresh, not join a call that is being cancelled.
          if (this.#inFlight.get(flight.key) === flight) this.#inFlight.delete(flight.key);
          flight.controller.abort();
        }
        reject(aborted(request.route));
      };
      // Attached before the caller may leave: the shared call's failure is always someone's to handle.
      flight.promise.then(
        (value) => {
          signal.removeEventListener("abort", leave);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", leave);
          reject(error);
        },
      );
      if (signal.aborted) leave();
      else signal.addEventListener("abort", leave, { once: true });
    });
  }

  async #withRetries<T>(request: UpstreamRequest, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
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
    attempt: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
    endsAt: number,
    idempotent: boolean,
  ): Promise<T> {
    for (let tries = 0; ; tries++) {
      if (signal.aborted) throw failureOfSignal(signal, request.route);
      const grant = this.#options.budget.take();
      if (!grant.ok) {
        this.#options.onEvent?.({ type: "budget-refused", route: request.route });
        throw new UpstreamRateLimitedError(
          `Cloudflare Images ${request.route} not called: the upstream request budget is spent`,
          request.route,
          grant.retryAfter,
          { local: true },
        );
      }
      try {
        return await attempt(signal);
      } catch (error) {
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
    signal: AbortSignal,
    read: (answer: RawAnswer, request: UpstreamRequest) => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const headers: Record<string, string> = { authorization: `Bearer ${request.token}`, accept: "application/json" };
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
      const pool = request.body ? this.#uploadPool : this.#pool;
      const response = await pool.request({
        method: request.method,
        path: `${this.#basePath}${request.path}${query ? `?${query}` : ""}`,
        headers,
        body,
        signal,
      });
      answer = { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      const failure = signal.aborted ? failureOfSignal(signal, request.route) : unavailable(request.route, error);
      this.#report(request, started, failure);
      throw failure;
    }
    this.#options.budget.observe(headerValue(answer.headers.ratelimit));
    try {
      const result = await read(answer, request);
      this.#report(request, started, undefined, answer.status);
      return result;
    } catch (error) {
      const failure =
        error instanceof UpstreamError
          ? error
          : signal.aborted
            ? failureOfSignal(signal, request.route)
            : unavailable(request.route, error);
      if (failure instanceof UpstreamRateLimitedError && !failure.local) this.#options.budget.block(failure.retryAfter);
      this.#report(request, started, failure, answer.status);
      throw failure;
    }
  }

  #report(request: UpstreamRequest, started: number, failure: UpstreamError | undefined, status?: number): void {
    const durationMs = performance.now() - started;
    const { method, route } = request;
    if (status !== undefined) this.#options.onEvent?.({ type: "response", method, route, status, durationMs });
    else if (failure) this.#options.onEvent?.({ type: "failure", method, route, error: failure.name, durationMs });
  }
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array> & { text(): Promise<string>; dump(): Promise<void> };
}

async function readEnvelope(answer: RawAnswer, request: UpstreamRequest): Promise<unknown> {
  const text = await answer.body.text();
  let envelope: Envelope;
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch {
    const retryAfter = retryAfterSeconds(headerValue(answer.headers["retry-after"]));
    throw errorForUnreadableAnswer(answer.status, request.route, retryAfter);
  }
  if (answer.status >= 200 && answer.status < 300 && envelope.success !== false) return envelope.result;
  throw failureOf(answer, request, Array.isArray(envelope.errors) ? envelope.errors : []);
}

async function readStream(answer: RawAnswer, request: UpstreamRequest): Promise<StreamedAnswer> {
  if (answer.status >= 200 && answer.status < 300) {
    const length = headerValue(answer.headers["content-length"]);
    return {
      contentType: headerValue(answer.headers["content-type"]) ?? "application/octet-stream",
      contentLength: length === undefined ? undefined : Number(length),
      body: answer.body,
    };
  }
  let errors: UpstreamErrorItem[] = [];
  try {
    const envelope = JSON.parse(await answer.body.text()) as Envelope;
    if (Array.isArray(envelope.errors)) errors = envelope.errors;
  } catch {
    // A failure without an envelope still maps by its status.
  }
  throw failureOf(answer, request, errors);
}

function failureOf(answer: RawAnswer, request: UpstreamRequest, errors: UpstreamErrorItem[]): UpstreamError {
  const clean = errors.map((e) => ({ code: Number(e.code), message: String(e.message) }));
  return errorForStatus(
    answer.status,
    request.route,
    clean,
    retryAfterSeconds(headerValue(answer.headers["retry-after"])),
  );
}

function retryAfterSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The abort reason of a call's deadline, told apart from its caller going away. */
const DEADLINE = Symbol("upstream deadline");

function failureOfSignal(signal: AbortSignal, route: string): UpstreamError {
  if (signal.reason === DEADLINE) {
    return new UpstreamUnavailableError(`Cloudflare Images ${route} did not answer before the deadline`, route);
  }
  return aborted(route);
}

function aborted(route: string): UpstreamAbortedError {
  return new UpstreamAbortedError(`Cloudflare Images ${route}: the request was cancelled`, route);
}

function unavailable(route: string, error: unknown): UpstreamUnavailableError {
  const reason =
    error instanceof undiciErrors.ConnectTimeoutError
      ? "connect timeout"
      : error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError
        ? "timeout"
        : ((error as { code?: string }).code ?? "connection failure");
  return new UpstreamUnavailableError(`Cloudflare Images ${route} unreachable: ${reason}`, route);
}

/** Keys coalescing per credential without keeping the token itself in the map. */
function fingerprint(token: string): string {
  return createHash("sha256").update(token).digest("base64url").slice(0, 16);
}
