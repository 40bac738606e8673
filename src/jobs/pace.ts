import { setTimeout as sleep } from "node:timers/promises";

/**
 * Spaces the job's upstream calls evenly at `perSecond`, below the batch host's 200 a second per
 * token, so interactive calls find a free slot in its window instead of queueing behind a job.
 * `pause` holds every call back after a 429 until its Retry-After has passed.
 *
 * A timer wakes a waiter a few milliseconds late; without credit for that, every slot would start
 * from the late wake-up and the pace would fall a third below `perSecond` (measured: 103 of 160 a
 * second). A waiter's late wake-up is credited instead, up to CATCH_UP_SLOTS intervals; an idle pace
 * gives no credit, so a job never starts with a burst.
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
    let waited = false;
    for (;;) {
      const now = performance.now();
      const at = Math.max(this.#next, this.#pausedUntil);
      if (at <= now) {
        // A caller that waited for its slot keeps the slot's time, however late its timer fired (up
        // to CATCH_UP_SLOTS); one that found the pace idle starts from now, so idleness is no credit.
        const base = waited ? Math.max(at, now - CATCH_UP_SLOTS * this.#intervalMs) : Math.max(at, now);
        this.#next = base + this.#intervalMs;
        return;
      }
      await sleep(at - now, undefined, { signal });
      waited = true;
    }
  }

  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, performance.now() + ms);
    // No catching up on the slots a 429 made us skip: the upstream asked for less, not for a burst.
    this.#next = Math.max(this.#next, this.#pausedUntil);
  }
}
