import { setTimeout as sleep } from "node:timers/promises";

/**
 * The batch host's limit of 200 requests a second per token, as a sliding log: any span of
 * `spanMs` holds at most `limit` calls, whichever second the upstream counts in. The span is a
 * little longer than a second so that calls arriving late still land in separate windows.
 * Each replica holds its own token, so the count is exact in process.
 */
export class BatchWindow {
  readonly limit: number;
  readonly spanMs: number;
  readonly #sent: number[];
  #next = 0;
  #token: string | undefined;

  constructor(options: { limit?: number; spanMs?: number } = {}) {
    this.limit = options.limit ?? 200;
    this.spanMs = options.spanMs ?? 1100;
    this.#sent = new Array<number>(this.limit).fill(Number.NEGATIVE_INFINITY);
  }

  /**
   * Takes a slot for one call with `token`, waiting for one to free up; false when that wait
   * would end after `endsAt` (performance.now() time) or the signal fires.
   */
  async take(token: string, endsAt: number, signal: AbortSignal): Promise<boolean> {
    if (token !== this.#token) {
      this.#token = token;
      this.#sent.fill(Number.NEGATIVE_INFINITY);
    }
    for (;;) {
      const now = performance.now();
      // The oldest of the last `limit` calls: once it is a span old, one more call fits.
      const freeAt = (this.#sent[this.#next] ?? Number.NEGATIVE_INFINITY) + this.spanMs;
      if (freeAt <= now) {
        this.#sent[this.#next] = now;
        this.#next = (this.#next + 1) % this.limit;
        return true;
      }
      if (freeAt >= endsAt || signal.aborted) return false;
      try {
        await sleep(freeAt - now, undefined, { signal });
      } catch {
        return false;
      }
    }
  }
}
