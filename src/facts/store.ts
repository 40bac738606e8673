import { LRUCache } from "lru-cache";
import type { FactsRecord } from "./facts.ts";

/**
 * Where facts are kept, per scope (the account, and the caller's token fingerprint in `forward`
 * mode). `claim` makes one computer of an image among every process sharing the store.
 */
export interface FactsStore {
  /** The records known for these ids; an id not in the map is not known yet. */
  getMany(scope: string, imageIds: readonly string[]): Promise<Map<string, FactsRecord>>;
  /** True for exactly one caller until `put` or `release`, or until the claim lapses. */
  claim(scope: string, imageId: string): Promise<boolean>;
  /** Keeps the record and ends the claim. */
  put(scope: string, imageId: string, record: FactsRecord): Promise<void>;
  /** Ends a claim without a record: the image may be tried again later. */
  release(scope: string, imageId: string): Promise<void>;
  /** The image is gone (a custom id may later name other bytes). */
  forget(scope: string, imageId: string): Promise<void>;
  close(): Promise<void>;
}

/** One process alone: records in a bounded LRU, claims in a map. */
export class InProcessFactsStore implements FactsStore {
  readonly #records: LRUCache<string, FactsRecord>;
  readonly #claims = new Map<string, number>();
  readonly #claimMs: number;
  readonly #now: () => number;

  constructor(options: { maxEntries: number; claimSeconds: number; now?: () => number }) {
    this.#records = new LRUCache({ max: options.maxEntries });
    this.#claimMs = options.claimSeconds * 1000;
    this.#now = options.now ?? Date.now;
  }

  async getMany(scope: string, imageIds: readonly string[]): Promise<Map<string, FactsRecord>> {
    const found = new Map<string, FactsRecord>();
    for (const id of imageIds) {
      const record = this.#records.get(keyOf(scope, id));
      if (record) found.set(id, record);
    }
    return found;
  }

  async claim(scope: string, imageId: string): Promise<boolean> {
    const key = keyOf(scope, imageId);
    const now = this.#now();
    if (this.#records.has(key) || (this.#claims.get(key) ?? 0) > now) return false;
    this.#claims.set(key, now + this.#claimMs);
    return true;
  }

  async put(scope: string, imageId: string, record: FactsRecord): Promise<void> {
    const key = keyOf(scope, imageId);
    this.#records.set(key, record);
    this.#claims.delete(key);
  }

  async release(scope: string, imageId: string): Promise<void> {
    this.#claims.delete(keyOf(scope, imageId));
  }

  async forget(scope: string, imageId: string): Promise<void> {
    this.#records.delete(keyOf(scope, imageId));
  }

  async close(): Promise<void> {}
}

/** Ids may hold any character: the scope never does (a digest and an account id). */
export function keyOf(scope: string, imageId: string): string {
  return `${scope}:${imageId}`;
}
