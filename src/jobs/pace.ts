import { setTimeout as sleep } from "node:timers/promises";

/**
 * Spaces the job's upstream calls evenly at `perSecond`, below the batch host's 200 a second per
 * token, so interactive calls find a free slot in its window instead of queueing behind a job.
 * `pause` holds every call back after a 429 until its Retry-After has passed.
 *
 * A timer wakes a waiter a few milliseconds late; without credit for that, every slot would start
 * from the late wake-up and the pace would fall a third below `perSecond` (measured: 103 of 160 a
 * second). Slots missed in the last CATCH_UP_SLOTS intervals are taken at once instead.
 */
const CATCH_UP_SLOTS = 4;

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
        this.#next = Math.max(now - CATCH_UP_SLOTS * this.#intervalMs, this.#next) + this.#intervalMs;
        return;
      }
      await sleep(at - now, undefined, { signal });
    }
  }

  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, performance.now() + ms);
    // No catching up on the slots a 429 made us skip: the upstream asked for less, not for a burst.
    this.#next = Math.max(this.#next, this.#pausedUntil);
  }
}
