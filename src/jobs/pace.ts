import { setTimeout as sleep } from "node:timers/promises";

/**
 * Spaces the job's upstream calls evenly at `perSecond`, below the batch host's 200 a second per
 * token, so interactive calls find a free slot in its window instead of queueing behind a job.
 * `pause` holds every call back after a 429 until its Retry-After has passed.
 */
export class Pace {
  readonly #intervalMs: number;
  #next = 0;
  #pausedUntil = 0;

  constructor(perSecond: number) {
    this.#intervalMs = 1000 / perSecond;
  }

  async take(signal: AbortSignal): Promise<void> {
    for (;;) {
      const now = performance.now();
      const at = Math.max(this.#next, this.#pausedUntil);
      if (at <= now) {
        this.#next = Math.max(now, this.#next) + this.#intervalMs;
        return;
      }
      await sleep(at - now, undefined, { signal });
    }
  }

  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, performance.now() + ms);
  }
}
