interface Flight {
  key: string;
  promise: Promise<unknown>;
  controller: AbortController;
  waiters: number;
}

/**
 * Identical GETs in flight, shared: a second caller joins the first one's call instead of making
 * its own. Each caller can give up alone; the call is cancelled when every caller has.
 */
export class InFlightCalls {
  readonly #flights = new Map<string, Flight>();

  /**
   * The call under `key`, joined or started with `start` (given the shared call's own signal).
   * `onJoined` is told when an existing call was joined; `gone` is the failure of a caller that leaves.
   */
  join(
    key: string,
    signal: AbortSignal | undefined,
    start: (signal: AbortSignal) => Promise<unknown>,
    options: { onJoined: () => void; gone: () => Error },
  ): Promise<unknown> {
    let flight = this.#flights.get(key);
    if (flight) {
      options.onJoined();
    } else {
      const controller = new AbortController();
      const promise = start(controller.signal).finally(() => {
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
      });
      flight = { key, promise, controller, waiters: 0 };
      this.#flights.set(key, flight);
    }
    return this.#wait(flight, signal, options.gone);
  }

  /** After a write: a GET that began before it may answer the old state, so later readers must not join it. */
  clear(): void {
    this.#flights.clear();
  }

  #wait(flight: Flight, signal: AbortSignal | undefined, gone: () => Error): Promise<unknown> {
    flight.waiters += 1;
    if (!signal) return flight.promise;
    return new Promise((resolve, reject) => {
      const leave = () => {
        flight.waiters -= 1;
        if (flight.waiters === 0) {
          // A later caller must start afresh, not join a call that is being cancelled.
          if (this.#flights.get(flight.key) === flight) this.#flights.delete(flight.key);
          flight.controller.abort();
        }
        reject(gone());
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
}
