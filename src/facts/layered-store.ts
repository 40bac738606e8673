import type { FactsRecord } from "./facts.ts";
import type { FactsStore } from "./store.ts";

/**
 * A store of this process (the embedded catalogue's node:sqlite) under one every replica shares
 * (Redis): claims are the shared store's, so replicas each with their own embedded catalogue still
 * compute an image once; records are kept in both, and a record another replica computed is copied
 * into this one's store when this replica first reads it (its filters and orders then see it).
 */
export class LayeredFactsStore implements FactsStore {
  readonly #local: FactsStore;
  readonly #shared: FactsStore;

  constructor(local: FactsStore, shared: FactsStore) {
    this.#local = local;
    this.#shared = shared;
  }

  async getMany(scope: string, imageIds: readonly string[]): Promise<Map<string, FactsRecord>> {
    const found = await this.#local.getMany(scope, imageIds);
    const missing = imageIds.filter((id) => !found.has(id));
    if (missing.length === 0) return found;
    for (const [id, record] of await this.#shared.getMany(scope, missing)) {
      found.set(id, record);
      await this.#local.put(scope, id, record);
    }
    return found;
  }

  async claim(scope: string, imageId: string): Promise<boolean> {
    return this.#shared.claim(scope, imageId);
  }

  async put(scope: string, imageId: string, record: FactsRecord): Promise<void> {
    await Promise.all([this.#local.put(scope, imageId, record), this.#shared.put(scope, imageId, record)]);
  }

  async release(scope: string, imageId: string): Promise<void> {
    await this.#shared.release(scope, imageId);
  }

  async forget(scope: string, imageId: string): Promise<void> {
    await Promise.all([this.#local.forget(scope, imageId), this.#shared.forget(scope, imageId)]);
  }

  async close(): Promise<void> {
    await Promise.all([this.#local.close(), this.#shared.close()]);
  }
}
