import type { FactsRecord } from "../facts/facts.ts";
import type { FactsStore } from "../facts/store.ts";
import type { CatalogueFactsTable } from "./facts-model.ts";
import type { Tenant } from "./model.ts";

/**
 * Facts kept in the catalogue's store (DESIGN §11) while the catalogue is on: durable with
 * `CATALOGUE_DIR` or `DATABASE_URL`, claimed by one replica of those sharing PostgreSQL, and read
 * by the catalogue's filters, orders and `duplicateImages`. Like the Redis store, a store out of
 * reach (or not migrated yet) knows nothing and claims nothing: the fields stay `PENDING`.
 */
export class CatalogueFactsStore implements FactsStore {
  readonly #table: CatalogueFactsTable;
  readonly #claimMs: number;
  readonly #now: () => number;

  constructor(table: CatalogueFactsTable, options: { claimSeconds: number; now?: () => number }) {
    this.#table = table;
    this.#claimMs = options.claimSeconds * 1000;
    this.#now = options.now ?? Date.now;
  }

  async getMany(scope: string, imageIds: readonly string[]): Promise<Map<string, FactsRecord>> {
    if (imageIds.length === 0) return new Map();
    return this.#table.getMany(tenantOf(scope), imageIds).catch(() => new Map());
  }

  async claim(scope: string, imageId: string): Promise<boolean> {
    const now = this.#now();
    return this.#table.claim(tenantOf(scope), imageId, now, now + this.#claimMs).catch(() => false);
  }

  async put(scope: string, imageId: string, record: FactsRecord): Promise<void> {
    // Lost when the store is out of reach: computed again after the claim lapses.
    await this.#table.put(tenantOf(scope), imageId, record).catch(() => undefined);
  }

  async release(scope: string, imageId: string): Promise<void> {
    await this.#table.release(tenantOf(scope), imageId).catch(() => undefined);
  }

  async forget(scope: string, imageId: string): Promise<void> {
    await this.#table.forget(tenantOf(scope), imageId).catch(() => undefined);
  }

  /** The catalogue closes its store. */
  async close(): Promise<void> {}
}

/** The facts' scope of the server's own token ("server") is the catalogue's tenant "" (its only index). */
function tenantOf(scope: string): Tenant {
  return scope === "server" ? "" : scope;
}
