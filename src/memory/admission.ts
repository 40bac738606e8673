/** Frees a place; calling it again does nothing. */
export type Release = () => void;

/**
 * At most `maxInFlight` requests run at once; up to `maxQueued` more wait their turn, in order, and
 * the next is refused at once. One event loop serves requests one slice at a time, so running more
 * at once adds no throughput: it only holds more answers in memory at the same time.
 */
export class AdmissionGate {
  readonly #maxInFlight: number;
  readonly #maxQueued: number;
  readonly #waiting: (() => void)[] = [];
  #inFlight = 0;

  constructor(maxInFlight: number, maxQueued: number) {
    this.#maxInFlight = maxInFlight;
    this.#maxQueued = maxQueued;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** A place now, a promise of one, or `undefined` when the queue is full too. `signal`: the caller left while waiting. */
  enter(signal?: AbortSignal): Release | Promise<Release> | undefined {
    if (this.#inFlight < this.#maxInFlight) return this.#take();
    if (this.#waiting.length >= this.#maxQueued) return undefined;
    return new Promise<Release>((resolve, reject) => {
      const turn = () => {
        signal?.removeEventListener("abort", leave);
        resolve(this.#take());
      };
      const leave = () => {
        const at = this.#waiting.indexOf(turn);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", leave, { once: true });
      this.#waiting.push(turn);
    });
  }

  #take(): Release {
    this.#inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      this.#waiting.shift()?.();
    };
  }
}
