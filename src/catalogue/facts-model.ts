import type { FactsRecord } from "../facts/facts.ts";
import type { Image } from "../upstream/index.ts";
import type { Tenant } from "./model.ts";

/** Where a group of identical files sits in `duplicateImages`: by wasted bytes, most first, then hash. */
export interface DuplicateKeyset {
  readonly wastedBytes: number;
  readonly contentHash: string;
}

/** Images of the index holding the same bytes. */
export interface DuplicateGroup {
  readonly contentHash: string;
  readonly count: number;
  readonly byteSize: number;
  /** byteSize × (count − 1): what keeping one copy would save. */
  readonly wastedBytes: number;
  /** The first ones by upload time (the earliest is the original), at most `imagesPerGroup`. */
  readonly images: Image[];
}

/** The `image_facts` table of a catalogue store (migration 4), for both stores alike. */
export interface CatalogueFactsTable {
  getMany(tenant: Tenant, imageIds: readonly string[]): Promise<Map<string, FactsRecord>>;
  /** True when this caller now holds the image's claim, until `until` (ms since the epoch). */
  claim(tenant: Tenant, imageId: string, now: number, until: number): Promise<boolean>;
  put(tenant: Tenant, imageId: string, record: FactsRecord): Promise<void>;
  release(tenant: Tenant, imageId: string): Promise<void>;
  forget(tenant: Tenant, imageId: string): Promise<void>;
  /** The earliest image of the index whose stored bytes have this SHA-256. */
  imageWithHash(tenant: Tenant, contentHash: string): Promise<Image | undefined>;
  /** Up to `limit + 1` groups after the keyset: the extra one says there is more. */
  duplicates(
    tenant: Tenant,
    request: { after?: DuplicateKeyset; limit: number; imagesPerGroup: number },
  ): Promise<DuplicateGroup[]>;
}
