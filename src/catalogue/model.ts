import type { Image, MetaFilter, MetaFilterOperator } from "../upstream/index.ts";

/** Which index a caller reads: "" for the server's own token (the only one kept today, see catalogue.ts). */
export type Tenant = string;

export type OrderField = "uploaded" | "filename" | "id";
export type Direction = "asc" | "desc";

export interface CatalogueOrder {
  readonly field: OrderField;
  readonly direction: Direction;
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
}

/** Where an edge sits in an order: its order field's value and its id, the tie-breaker. */
export interface Keyset {
  readonly value: string | number;
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

/** The order field's value of an image, as the index stores it (never null, so keysets compare). */
export function keyOf(image: Image, field: OrderField): string | number {
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
