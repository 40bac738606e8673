/** A batch token and the time (ms since the epoch) it stops being accepted. */
export interface BatchToken {
  readonly token: string;
  readonly expiresAt: number;
}

export interface BatchTokenSourceOptions {
  /** Asks the global API for a fresh token (`GET /v1/batch_token`); its answer is parsed here. */
  fetchToken: () => Promise<unknown>;
  /** After a failed fetch, the global API is used for this long before the next try. */
  retryAfterFailureMs?: number;
  now?: () => number;
}

/**
 * Keeps one batch token fresh: renewed in the background once most of its lifetime is gone, so
 * callers never wait for it after the first fetch. Every refresh is shared by the calls that need it
 * (one fetch, never a stampede). Without a token the caller uses the global API.
 */
export class BatchTokenSource {
  readonly #fetchToken: () => Promise<unknown>;
  readonly #retryAfterFailureMs: number;
  readonly #now: () => number;
  #current: (BatchToken & { refreshAt: number; stopAt: number }) | undefined;
  #refreshing: Promise<string | undefined> | undefined;
  #failedUntil = 0;
  /** Fetches made, for tests and metrics. */
  fetches = 0;

  constructor(options: BatchTokenSourceOptions) {
    this.#fetchToken = options.fetchToken;
    this.#retryAfterFailureMs = options.retryAfterFailureMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  /** The token to call the batch host with, or undefined when none can be had right now. */
  async token(): Promise<string | undefined> {
    const now = this.#now();
    const current = this.#current;
    if (current && now < current.stopAt) {
      if (now >= current.refreshAt) void this.#refresh();
      return current.token;
    }
    if (now < this.#failedUntil) return undefined;
    return this.#refresh();
  }

  /** The batch host refused this token: it is not used again, and the next call fetches another. */
  refused(token: string): void {
    if (this.#current?.token === token) this.#current = undefined;
  }

  #refresh(): Promise<string | undefined> {
    this.#refreshing ??= this.#fetch().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #fetch(): Promise<string | undefined> {
    this.fetches += 1;
    const fetchedAt = this.#now();
    try {
      const { token, expiresAt } = parseBatchToken(await this.#fetchToken());
      const lifetime = Math.max(0, expiresAt - fetchedAt);
      // Renewed at four fifths of its life; not used at all in its last twentieth (clock skew, slow calls).
      this.#current = {
        token,
        expiresAt,
        refreshAt: fetchedAt + lifetime * 0.8,
        stopAt: expiresAt - Math.min(lifetime * 0.05, 30_000),
      };
      return token;
    } catch {
      // A failure already reached the transport's events; the global API serves until the next try.
      this.#failedUntil = this.#now() + this.#retryAfterFailureMs;
      const current = this.#current;
      return current && this.#now() < current.stopAt ? current.token : undefined;
    }
  }
}

function parseBatchToken(result: unknown): BatchToken {
  const { token, expiresAt } = (result ?? {}) as { token?: unknown; expiresAt?: unknown };
  const expires = typeof expiresAt === "string" ? Date.parse(expiresAt) : Number.NaN;
  if (typeof token !== "string" || token === "" || Number.isNaN(expires)) {
    throw new Error("the batch_token answer has no token or expiresAt");
  }
  return { token, expiresAt: expires };
}
