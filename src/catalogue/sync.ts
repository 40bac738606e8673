import type { CloudflareImagesApi, Image } from "../upstream/index.ts";
import type { Tenant } from "./model.ts";
import type { CatalogueStore } from "./store.ts";

export interface SweepResult {
  readonly images: number;
  readonly calls: number;
  readonly durationMs: number;
}

/**
 * A full sweep: the whole v2 list, oldest first (so images uploaded while it runs come last and are
 * seen), at the largest page the list gives; each page written as it arrives. Only rows not written
 * since the sweep began take the upstream's values, and only those are removed when unseen.
 * Undefined when another process sharing the store sweeps already.
 */
export async function sweep(
  store: CatalogueStore,
  api: CloudflareImagesApi,
  tenant: Tenant,
  options: { perPage: number; skipIfSweptWithinMs: number; stopped: () => boolean },
): Promise<SweepResult | undefined> {
  return store.exclusively(tenant, async () => {
    // Replicas sharing the store take turns: one that just finished spares the others a sweep.
    const state = await store.syncState(tenant);
    const last = state.lastSweep;
    if (
      state.complete &&
      last &&
      Date.now() - (last.startedAt.getTime() + last.durationMs) < options.skipIfSweptWithinMs
    )
      return undefined;
    const mark = await store.beginSweep(tenant);
    let token: string | null = null;
    let images = 0;
    let calls = 0;
    do {
      // Shutting down: a sweep left unfinished is harmless (the next one completes the index).
      if (options.stopped()) return undefined;
      const page = await api.images.list({ continuationToken: token, perPage: options.perPage, sortOrder: "asc" });
      calls += 1;
      await store.sweepPage(tenant, mark, page.images);
      images += page.images.length;
      token = page.continuationToken;
    } while (token);
    await store.finishSweep(tenant, mark, images);
    return { images, calls, durationMs: Date.now() - mark.startedAt.getTime() };
  });
}

export interface DeltaResult {
  readonly added: number;
  readonly calls: number;
  /** The delta read its limit of pages without reaching an image it knew: a sweep should follow. */
  readonly overflowed: boolean;
}

/** Newest first, until the first image the index already knows: what was uploaded elsewhere since. */
export async function delta(
  store: CatalogueStore,
  api: CloudflareImagesApi,
  tenant: Tenant,
  options: { perPage: number; maxPages: number },
): Promise<DeltaResult> {
  let token: string | null = null;
  let added = 0;
  let calls = 0;
  const startedAt = new Date();
  for (let pages = 0; pages < options.maxPages; pages++) {
    const page = await api.images.list({ continuationToken: token, perPage: options.perPage, sortOrder: "desc" });
    calls += 1;
    const known = await store.known(
      tenant,
      page.images.map((image) => image.id),
    );
    const firstKnown = page.images.findIndex((image) => known.has(image.id));
    const fresh: Image[] = firstKnown < 0 ? page.images : page.images.slice(0, firstKnown);
    await store.addUnknown(tenant, fresh);
    added += fresh.length;
    token = page.continuationToken;
    if (firstKnown >= 0 || !token) {
      await store.touch(tenant, startedAt);
      return { added, calls, overflowed: false };
    }
  }
  return { added, calls, overflowed: true };
}
