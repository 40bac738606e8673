/**
 * This process's versions of what entries depend on (`image:<id>`, `imageList`, …): a write
 * bumps the versions it changes, and an entry read at other versions is never served again.
 * Versions come from one clock, so forgetting the oldest ones (the map is bounded) is safe: a
 * forgotten version reads as the highest ever forgotten, which no entry read before it can match
 * unless it was read after that bump, when it was current.
 */
export class LocalVersions {
  readonly #versions = new Map<string, number>();
  readonly #capacity: number;
  #clock = 0;
  #floor = 0;

  constructor(capacity = 100_000) {
    this.#capacity = capacity;
  }

  version(dep: string): number {
    return this.#versions.get(dep) ?? this.#floor;
  }

  bump(deps: readonly string[]): void {
    for (const dep of deps) {
      this.#versions.delete(dep);
      this.#versions.set(dep, ++this.#clock);
    }
    while (this.#versions.size > this.#capacity) {
      const [oldest, version] = this.#versions.entries().next().value as [string, number];
      this.#versions.delete(oldest);
      this.#floor = Math.max(this.#floor, version);
    }
  }
}
