import { type Dispatcher, Pool } from "undici";
import type { BatchTokenSource } from "./batch-token.ts";
import { BatchWindow } from "./batch-window.ts";
import type { UpstreamHost, UpstreamRequest } from "./http-types.ts";

/** One upstream host: a pool for calls, another for streamed uploads so they never hold a reader's connection. */
export interface Host {
  name: UpstreamHost;
  basePath: string;
  pool: Dispatcher;
  uploadPool: Dispatcher;
}

/** Where one try goes, with which credential. */
export interface Target {
  host: Host;
  path: string;
  token: string;
}

export interface PoolOptions {
  connections: number;
  uploadConnections: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Where calls to an origin go instead of a pool of its own (tests: an emulator in this process). */
  dispatcherFor?: ((origin: string) => Dispatcher) | undefined;
}

export function createHost(name: UpstreamHost, baseUrl: string, options: PoolOptions): Host {
  const url = new URL(baseUrl);
  const timeouts = {
    connectTimeout: options.connectTimeoutMs,
    headersTimeout: options.requestTimeoutMs,
    bodyTimeout: options.requestTimeoutMs,
  };
  return {
    name,
    basePath: url.pathname.replace(/\/$/, ""),
    pool:
      options.dispatcherFor?.(url.origin) ?? new Pool(url.origin, { connections: options.connections, ...timeouts }),
    uploadPool:
      options.dispatcherFor?.(url.origin) ??
      new Pool(url.origin, { connections: options.uploadConnections, ...timeouts }),
  };
}

export async function closeHost(host: Host, force: boolean): Promise<void> {
  await Promise.all([host.pool, host.uploadPool].map((pool) => (force ? pool.destroy() : pool.close())));
}

export interface BatchHostOptions {
  /** e.g. `https://batch.imagedelivery.net`. */
  baseUrl: string;
  /** The account whose batch tokens are fetched, and the API token they are fetched with. */
  accountId: string;
  token: string;
  /** Requests per second per batch token (the upstream's 200). */
  perSecond?: number;
  /** How long a call may wait for a slot in that second before it is refused. */
  maxWaitMs?: number;
}

/** `GET /v1/batch_token` on the global API, with the server's own token. */
export function batchTokenRequest(options: Pick<BatchHostOptions, "accountId" | "token">): UpstreamRequest {
  return {
    method: "GET",
    route: "/accounts/{account_id}/images/v1/batch_token",
    path: `/accounts/${encodeURIComponent(options.accountId)}/images/v1/batch_token`,
    token: options.token,
  };
}

/** What the batch host serves, by method and global route template; its paths drop `/accounts/{account_id}`. */
const BATCH_ROUTES = new Set([
  "GET /accounts/{account_id}/images/v1/{image_id}",
  "PATCH /accounts/{account_id}/images/v1/{image_id}",
  "DELETE /accounts/{account_id}/images/v1/{image_id}",
  "POST /accounts/{account_id}/images/v1",
  "GET /accounts/{account_id}/images/v2",
  "POST /accounts/{account_id}/images/v2/direct_upload",
]);

/** Cloudflare's batch host: its pools, the batch token and the token's requests per second. */
export class BatchHost {
  readonly host: Host;
  readonly #serverToken: string;
  readonly #tokens: BatchTokenSource;
  readonly #window: BatchWindow;
  readonly #maxWaitMs: number;

  /** `tokens`: fetched from the global API by the transport (see `batchTokenRequest`). */
  constructor(options: BatchHostOptions, pools: PoolOptions, tokens: BatchTokenSource) {
    this.host = createHost("batch", options.baseUrl, pools);
    this.#serverToken = options.token;
    this.#tokens = tokens;
    this.#window = new BatchWindow({ limit: options.perSecond });
    this.#maxWaitMs = options.maxWaitMs ?? 2000;
  }

  get tokenFetches(): number {
    return this.#tokens.fetches;
  }

  /**
   * Batch tokens belong to the server's own API token: a call made with a caller's forwarded token
   * goes to the global API.
   */
  serves(request: UpstreamRequest): boolean {
    return request.token === this.#serverToken && BATCH_ROUTES.has(`${request.method} ${request.route}`);
  }

  /**
   * The batch host with a fresh token, once its second has room; undefined when no token can be
   * had (the global API serves then); "busy" when no slot frees up in time.
   */
  async target(request: UpstreamRequest, signal: AbortSignal, endsAt: number): Promise<Target | "busy" | undefined> {
    const token = await this.#tokens.token();
    if (token === undefined) return undefined;
    if (!(await this.#window.take(token, Math.min(endsAt, performance.now() + this.#maxWaitMs), signal))) return "busy";
    return { host: this.host, path: request.path.replace(/^\/accounts\/[^/]+/, ""), token };
  }

  /** The batch host refused this token. */
  refused(token: string): void {
    this.#tokens.refused(token);
  }
}
