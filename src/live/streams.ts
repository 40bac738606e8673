/** How many streams may be open at once: each holds an answer, its context and its loaders. */
export interface StreamCaps {
  readonly total: number;
  readonly perCaller: number;
}

/** Which cap a new stream would pass: the process's own, or its caller's. */
export type StreamCapReached = "total" | "perCaller";

/**
 * The subscription streams open now, so that a shutdown can end them (an SSE answer otherwise
 * lasts as long as its client, and the server could not finish closing), counted in total and per
 * caller against their caps.
 */
export class OpenStreams {
  readonly #cancels = new Set<() => void>();
  readonly #perCaller = new Map<string, number>();
  readonly #caps: StreamCaps;
  #ended = false;

  constructor(caps: StreamCaps = { total: Number.POSITIVE_INFINITY, perCaller: Number.POSITIVE_INFINITY }) {
    this.#caps = caps;
  }

  get size(): number {
    return this.#cancels.size;
  }

  /** Asked before a stream is set up: which cap one more stream of `caller` would pass, if any. */
  capReached(caller: string): StreamCapReached | undefined {
    if (this.#cancels.size >= this.#caps.total) return "total";
    if ((this.#perCaller.get(caller) ?? 0) >= this.#caps.perCaller) return "perCaller";
    return undefined;
  }

  /** Completes every stream (clients see `complete`), and any opened from now on at once. */
  end(): void {
    this.#ended = true;
    for (const cancel of [...this.#cancels]) cancel();
  }

  /** `caller`: whom the stream counts against until it ends. */
  track<T>(source: AsyncIterable<T>, caller: string): AsyncIterableIterator<T> {
    const iterator = source[Symbol.asyncIterator]();
    const done = (): IteratorResult<T> => ({ value: undefined, done: true });
    let finished = false;
    let wake: ((result: IteratorResult<T>) => void) | undefined;
    const finish = async (): Promise<IteratorResult<T>> => {
      if (finished) return done();
      finished = true;
      if (this.#cancels.delete(cancel)) this.#release(caller);
      wake?.(done());
      wake = undefined;
      await iterator.return?.();
      return done();
    };
    const cancel = () => void finish();
    if (this.#ended) cancel();
    else {
      this.#cancels.add(cancel);
      this.#perCaller.set(caller, (this.#perCaller.get(caller) ?? 0) + 1);
    }
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      next: () => {
        if (finished) return Promise.resolve(done());
        return new Promise<IteratorResult<T>>((resolve, reject) => {
          wake = resolve;
          iterator.next().then(
            (result) => {
              if (wake !== resolve) return;
              wake = undefined;
              if (result.done) void finish();
              resolve(result);
            },
            (error: unknown) => {
              if (wake !== resolve) return;
              wake = undefined;
              void finish();
              reject(error);
            },
          );
        });
      },
      return: finish,
    };
  }

  #release(caller: string): void {
    const open = (this.#perCaller.get(caller) ?? 1) - 1;
    if (open > 0) this.#perCaller.set(caller, open);
    else this.#perCaller.delete(caller);
  }
}
