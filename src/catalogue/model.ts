import type { Image, MetaFilter, MetaFilterOperator } from "../upstream/index.ts";

/** Which index a caller reads: "" for the server's own token (the only one kept today, see catalogue.ts). */
export type Tenant = string;

export type OrderField = "uploaded" | "filename" | "id" | FactOrderField;
/** Orders by an image's facts: images whose facts are not known (yet) come last, in either direction. */
export type FactOrderField = "bytes" | "width" | "height";

export function isFactOrder(field: OrderField): field is FactOrderField {
  return field === "bytes" || field === "width" || field === "height";
}
export type Direction = "asc" | "desc";

export interface CatalogueOrder {
  readonly field: OrderField;
  readonly direction: Direction;
  /**
   * Where images without a value go (fact orders only); "last" unless said. A backward page reads
   * the order reversed, nulls included: "first".
   */
  readonly nulls?: "first" | "last";
}

/** An inclusive range of whole numbers; either end may be left out. */
export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
}

/**
 * Metadata operators the upstream list lacks, served by the catalogue only: string ranges, compared by
 * Unicode code point (byte order of UTF-8), so ISO dates and zero-padded numbers stored as text range
 * as expected. They match stored strings only, as the upstream's ranges match stored numbers only.
 */
export const CATALOGUE_META_OPERATORS = ["gt:string", "gte:string", "lt:string", "lte:string"] as const;
export type CatalogueMetaOperator = (typeof CATALOGUE_META_OPERATORS)[number];

/** A metadata condition on the index: the upstream's, or one of the catalogue's own operators. */
export interface CatalogueMetaFilter {
  readonly path: string;
  readonly op: MetaFilterOperator | CatalogueMetaOperator;
  /** For `in` operators, the values joined with `|`. */
  readonly value: string;
}

export function isCatalogueMetaOperator(op: string): op is CatalogueMetaOperator {
  return (CATALOGUE_META_OPERATORS as readonly string[]).includes(op);
}

/** Conditions on the index, all of which must hold; every value reaches the store as a parameter. */
export interface CatalogueFilter {
  /** Terms each found (case-insensitive substring) in the filename, the creator or a metadata value. */
  readonly terms?: readonly string[];
  /** `""`: images without a creator. */
  readonly creator?: string;
  /** Case-insensitive substring of the filename. */
  readonly filename?: string;
  readonly uploadedAfter?: Date;
  readonly uploadedBefore?: Date;
  readonly requireSignedURLs?: boolean;
  readonly meta?: readonly (MetaFilter | CatalogueMetaFilter)[];
  /** Facts (READY only): images whose facts are not known match none of these. */
  readonly width?: NumberRange;
  readonly height?: NumberRange;
  readonly byteSize?: NumberRange;
  readonly sourceFormats?: readonly string[];
}

export function needsFacts(filter: CatalogueFilter): boolean {
  return (
    filter.width !== undefined ||
    filter.height !== undefined ||
    filter.byteSize !== undefined ||
    filter.sourceFormats !== undefined
  );
}

/** Where an edge sits in an order: its order field's value and its id, the tie-breaker. */
export interface Keyset {
  /** Null: the image has no value for a fact order (its facts are not known). */
  readonly value: string | number | null;
  readonly id: string;
}

export interface PageRequest {
  readonly filter: CatalogueFilter;
  readonly order: CatalogueOrder;
  /** Rows strictly after this position in `order`. */
  readonly after?: Keyset;
  readonly limit: number;
}

/** What the index knows of the last completed sweep, and when it last heard from the upstream. */
export interface SyncState {
  /** A sweep has completed at least once: the index holds the whole account. */
  readonly complete: boolean;
  readonly syncedAt: Date | null;
  readonly lastSweep: { readonly startedAt: Date; readonly durationMs: number; readonly images: number } | null;
}

/** Marks one sweep: rows written after it began carry a higher version and are left alone by it. */
export interface SweepMark {
  readonly version: number;
  readonly startedAt: Date;
}

/** The value of a fact order the store read beside a row of a page (see `keyOf`). */
export const ORDER_VALUE = Symbol("catalogue order value");
export type PagedImage = Image & { [ORDER_VALUE]?: number | null };

export function withOrderValue(image: Image, value: unknown): PagedImage {
  const paged: PagedImage = image;
  paged[ORDER_VALUE] = value === null || value === undefined ? null : Number(value);
  return paged;
}

/**
 * The order field's value of an image, as the index stores it: never null for the image's own
 * fields; for a fact order, what the page's query read beside it (null: facts not known).
 */
export function keyOf(image: Image, field: OrderField): string | number | null {
  if (isFactOrder(field)) return (image as PagedImage)[ORDER_VALUE] ?? null;
  if (field === "uploaded") return image.uploaded?.getTime() ?? 0;
  if (field === "filename") return sortableFilename(image.filename);
  return image.id;
}

export function sortableFilename(filename: string | null): string {
  return (filename ?? "").toLowerCase();
}

/** What `search` looks in besides the filename: the creator and metadata values, lower-cased, one per line. */
export function searchTextOf(image: Image): string {
  const parts: string[] = [image.creator ?? ""];
  const visit = (value: unknown) => {
    if (value === null || value === undefined) return;
    if (typeof value === "object") for (const inner of Object.values(value)) visit(inner);
    else parts.push(String(value));
  };
  visit(image.meta);
  return parts.join("\n").toLowerCase();
}
