import type { Image } from "../upstream/index.ts";
import type { CatalogueFactsTable } from "./facts-model.ts";
import {
  type CatalogueFilter,
  isFactOrder,
  type OrderField,
  type PageRequest,
  type SweepMark,
  type SyncState,
  type Tenant,
  withOrderValue,
} from "./model.ts";

/**
 * The catalogue's repository: the same behaviour over node:sqlite and PostgreSQL, held to one
 * contract test suite (test/catalogue/store-contract.ts).
 */
export interface CatalogueStore {
  readonly kind: "embedded" | "postgres";
  /** Runs the migrations not yet applied; safe when replicas start at once. */
  migrate(): Promise<void>;

  /** Our own writes: always win over a sweep in progress. `replaces`: the id the image had before. */
  write(tenant: Tenant, image: Image, replaces?: string): Promise<void>;
  remove(tenant: Tenant, imageId: string): Promise<void>;
  /** A delta's images: only those the index has never seen (nor seen deleted) are added. */
  addUnknown(tenant: Tenant, images: readonly Image[]): Promise<void>;
  /** Which of these ids the index knows (deleted ones included). */
  known(tenant: Tenant, ids: readonly string[]): Promise<Set<string>>;

  beginSweep(tenant: Tenant): Promise<SweepMark>;
  /** A page of the sweep: rows not written since the sweep began take the upstream's values. */
  sweepPage(tenant: Tenant, mark: SweepMark, images: readonly Image[]): Promise<void>;
  /** Removes what the sweep did not see and was not written since it began; records the sweep. */
  finishSweep(tenant: Tenant, mark: SweepMark, images: number): Promise<void>;
  /** Records that the upstream was heard from (a delta). */
  touch(tenant: Tenant, at: Date): Promise<void>;

  /** Up to `limit + 1` images in the order, after the keyset: the extra one says there is more. */
  page(tenant: Tenant, request: PageRequest): Promise<Image[]>;
  count(tenant: Tenant, filter: CatalogueFilter): Promise<number>;
  syncState(tenant: Tenant): Promise<SyncState>;

  /**
   * Runs `work` only if no other process sharing this store runs a sweep for the tenant (an
   * advisory lock in PostgreSQL); undefined when another one does.
   */
  exclusively<T>(tenant: Tenant, work: () => Promise<T>): Promise<T | undefined>;
  /** Image facts kept beside the index (migration 4), with the claims replicas share. */
  readonly facts: CatalogueFactsTable;
  close(): Promise<void>;
}

/** The row of `images` a store writes for an image. */
export interface ImageRow {
  id: string;
  filename: string | null;
  sort_filename: string;
  creator: string | null;
  meta: string;
  require_signed: boolean;
  uploaded: number;
  variants: string;
  search_text: string;
}

export interface StoredImage {
  id: string;
  filename: string | null;
  creator: string | null;
  meta: string | Record<string, unknown>;
  require_signed: boolean | number;
  uploaded: number | string;
  variants: string | { name: string; url: string }[];
}

export function rowOf(image: Image, sortFilename: string, searchText: string): ImageRow {
  return {
    id: image.id,
    filename: image.filename,
    sort_filename: sortFilename,
    creator: image.creator,
    meta: JSON.stringify(image.meta),
    require_signed: image.requireSignedURLs,
    uploaded: image.uploaded?.getTime() ?? 0,
    variants: JSON.stringify(image.variants),
    search_text: searchText,
  };
}

export function imageOf(row: StoredImage): Image {
  const uploaded = Number(row.uploaded);
  return {
    id: row.id,
    filename: row.filename,
    creator: row.creator,
    meta: typeof row.meta === "string" ? (JSON.parse(row.meta) as Record<string, unknown>) : row.meta,
    requireSignedURLs: row.require_signed === true || row.require_signed === 1,
    uploaded: uploaded === 0 ? null : new Date(uploaded),
    variants: typeof row.variants === "string" ? (JSON.parse(row.variants) as Image["variants"]) : row.variants,
    draft: false,
  };
}

/** A page's rows as images; with a fact order, each carries the value it was ordered by (for its cursor). */
export function imagesOfPage(rows: readonly (StoredImage & { order_value?: unknown })[], field: OrderField): Image[] {
  return isFactOrder(field) ? rows.map((row) => withOrderValue(imageOf(row), row.order_value)) : rows.map(imageOf);
}
