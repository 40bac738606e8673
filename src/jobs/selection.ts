import type { CatalogueFilter } from "../catalogue/model.ts";
import type { CatalogueStore } from "../catalogue/store.ts";
import { inputError } from "../errors.ts";
import type { Image } from "../upstream/index.ts";
import type { NewItem } from "./model.ts";

/** The catalogue's only index: the server token's (see catalogue.ts). */
const SERVER_TENANT = "";
const PAGE = 1000;

/** What a job will touch: its items, and a few of its images to show (`dryRun`; by ids the schema loads them). */
export interface Selection {
  readonly items: readonly NewItem[];
  readonly sample: readonly Image[];
}

export function tooMany(count: number, max: number): Error {
  return inputError(`The selection holds ${count} items; a bulk job takes at most ${max} (BULK_MAX_ITEMS).`, {
    reason: "TOO_MANY_ITEMS",
    matched: count,
  });
}

export function emptySelection(): Error {
  return inputError("The selection is empty: nothing would be changed.", { reason: "EMPTY_SELECTION" });
}

/**
 * Ids as given, each once, in order. An id the catalogue does not know still becomes an item: the
 * upstream decides (a delete of an image gone since counts as done, an unknown one as a failure).
 */
export async function selectIds(store: CatalogueStore, ids: readonly string[], max: number): Promise<Selection> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw emptySelection();
  if (unique.length > max) throw tooMany(unique.length, max);
  const known = new Set<string>();
  for (let i = 0; i < unique.length; i += PAGE) {
    for (const id of await store.known(SERVER_TENANT, unique.slice(i, i + PAGE))) known.add(id);
  }
  return { items: unique.map((imageId) => ({ imageId, known: known.has(imageId) })), sample: [] };
}

/**
 * The images matching the filter now, in id order: the selection is fixed here, so an image
 * uploaded later is never touched by the job.
 */
export async function selectFilter(
  store: CatalogueStore,
  filter: CatalogueFilter,
  max: number,
  sampleSize: number,
): Promise<Selection> {
  const count = await store.count(SERVER_TENANT, filter);
  if (count === 0) throw emptySelection();
  if (count > max) throw tooMany(count, max);
  const items: NewItem[] = [];
  const sample: Image[] = [];
  let after: { value: string; id: string } | undefined;
  for (;;) {
    const page = await store.page(SERVER_TENANT, {
      filter,
      order: { field: "id", direction: "asc" },
      ...(after ? { after } : {}),
      limit: PAGE,
    });
    for (const image of page.slice(0, PAGE)) {
      items.push({ imageId: image.id, known: true });
      if (sample.length < sampleSize) sample.push(image);
    }
    // Images added since the count: the selection must still respect the limit.
    if (items.length > max) throw tooMany(items.length, max);
    const last = page[PAGE - 1];
    if (page.length <= PAGE || !last) break;
    after = { value: last.id, id: last.id };
  }
  if (items.length === 0) throw emptySelection();
  return { items, sample };
}
