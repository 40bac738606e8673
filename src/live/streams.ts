/**
 * The subscription streams open now, so that a shutdown can end them: an SSE answer otherwise
 * lasts as long as its client, and the server could not finish closing.
 */
export class OpenStreams {
  readonly #cancels = new Set<() => void>();
  #ended = false;

  get size(): number {
    return this.#cancels.size;
  }

  /** Completes every stream (clients see `complete`), and any opened from now on at once. */
  end(): void {
    this.#ended = true;
    for (const cancel of [...this.#cancels]) cancel();
  }

  track<T>(source: AsyncIterable<T>): AsyncIterableIterator<T> {
    const iterator = source[Symbol.asyncIterator]();
    const done = (): IteratorResult<T> => ({ value: undefined, done: true });
    let finished = false;
    let wake: ((result: IteratorResult<T>) => void) | undefined;
    const finish = async (): Promise<IteratorResult<T>> => {
      if (finished) return done();
      finished = true;
      this.#cancels.delete(cancel);
      wake?.(done());
      wake = undefined;
      await iterator.return?.();
      return done();
    };
    const cancel = () => void finish();
    if (this.#ended) cancel();
    else this.#cancels.add(cancel);
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
}
