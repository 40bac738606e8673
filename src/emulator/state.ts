import { randomBytes, randomUUID } from "node:crypto";
import type { BlobStore, SnapshotStore } from "./storage.ts";

export type ImageFormat = "png" | "jpeg" | "gif" | "webp" | "svg" | "avif" | "heic";

export interface StoredFile {
  /** Key of the bytes in the blob store; a replaced file gets a new key so writes stay atomic. */
  blobKey: string;
  format: ImageFormat;
  contentType: string;
  size: number;
  width: number;
  height: number;
}

export interface ImageRecord {
  id: string;
  filename: string;
  creator: string | null;
  meta: Record<string, unknown>;
  requireSignedURLs: boolean;
  /** ISO date-time; for a draft, when the direct upload was created. */
  uploaded: string;
  /** Listing order: assigned when the image gets its file, strictly increasing. */
  seq: number;
  /** Present while the record is a direct-upload draft waiting for its file. */
  draft?: { expiresAt: string };
  file?: StoredFile;
}

export type VariantFit = "scale-down" | "contain" | "cover" | "crop" | "pad";
export type VariantMetadata = "keep" | "copyright" | "none";

export interface VariantRecord {
  id: string;
  options: { fit: VariantFit; metadata: VariantMetadata; width: number; height: number };
  neverRequireSignedURLs: boolean;
}

export interface SigningKeyRecord {
  name: string;
  value: string;
}

/** Account settings of `/v1/config`. */
export interface AccountConfig {
  flexibleVariants: boolean;
}

export interface Snapshot {
  version: 1;
  nextSeq: number;
  images: ImageRecord[];
  variants: VariantRecord[];
  keys: SigningKeyRecord[];
  /** Absent in snapshots written before the setting existed: all off. */
  config?: AccountConfig;
}

export const PUBLIC_VARIANT: VariantRecord = {
  id: "public",
  options: { fit: "scale-down", metadata: "none", width: 1366, height: 768 },
  neverRequireSignedURLs: false,
};

export function newSigningKeyValue(): string {
  return randomBytes(24).toString("base64url");
}

export function newImageId(): string {
  return randomUUID();
}

export function emptySnapshot(): Snapshot {
  return {
    version: 1,
    nextSeq: 1,
    images: [],
    variants: [structuredClone(PUBLIC_VARIANT)],
    keys: [{ name: "default", value: newSigningKeyValue() }],
    config: { flexibleVariants: false },
  };
}

/**
 * The account's data. Images are kept in a Map whose insertion order is the listing order (`seq`
 * ascending), so lists never sort. Every change goes through `write`, which serialises writers and
 * persists the whole change or, if persisting fails, rolls the memory back to before it.
 */
export class EmulatorState {
  images = new Map<string, ImageRecord>();
  variants = new Map<string, VariantRecord>();
  keys: SigningKeyRecord[] = [];
  config: AccountConfig = { flexibleVariants: false };
  nextSeq = 1;
  readonly blobs: BlobStore;
  readonly #snapshots: SnapshotStore;
  /** Bytes of the start snapshot outlive their images, so an admin reset can bring them back. */
  readonly #pinnedBlobKeys: Set<string>;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(blobs: BlobStore, snapshots: SnapshotStore, initial: Snapshot) {
    this.blobs = blobs;
    this.#snapshots = snapshots;
    this.#pinnedBlobKeys = new Set(initial.images.flatMap((image) => (image.file ? [image.file.blobKey] : [])));
    // A copy, so changes to the live records never leak into the caller's start snapshot.
    this.#restore(structuredClone(initial));
  }

  snapshot(): Snapshot {
    return {
      version: 1,
      nextSeq: this.nextSeq,
      images: [...this.images.values()],
      variants: [...this.variants.values()],
      keys: [...this.keys],
      config: { ...this.config },
    };
  }

  /** Images with a file (not drafts), in upload order. */
  listed(): ImageRecord[] {
    const out: ImageRecord[] = [];
    for (const image of this.images.values()) if (!image.draft) out.push(image);
    return out;
  }

  /** Takes the next listing position; the caller inserts the record with it inside `write`. */
  takeSeq(): number {
    return this.nextSeq++;
  }

  /**
   * Runs `change` (synchronous, validation already done) and persists the result. Blobs a change
   * adds must be written before calling; blobs it drops are listed in `release` and deleted after
   * the snapshot is safely stored.
   */
  write<T>(change: () => T, release: string[] = []): Promise<T> {
    const run = async (): Promise<T> => {
      const before = this.#snapshots.persistent ? structuredClone(this.snapshot()) : undefined;
      const result = change();
      try {
        await this.#snapshots.save(this.snapshot());
      } catch (error) {
        if (before) this.#restore(before);
        throw error;
      }
      for (const key of release) if (!this.#pinnedBlobKeys.has(key)) await this.blobs.delete(key);
      return result;
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Replaces everything (admin reset). */
  async replace(snapshot: Snapshot): Promise<void> {
    await this.write(() => this.#restore(structuredClone(snapshot)));
  }

  #restore(snapshot: Snapshot): void {
    this.nextSeq = snapshot.nextSeq;
    this.images = new Map([...snapshot.images].sort((a, b) => a.seq - b.seq).map((i) => [i.id, i]));
    this.variants = new Map(snapshot.variants.map((v) => [v.id, v]));
    this.keys = [...snapshot.keys];
    this.config = { flexibleVariants: snapshot.config?.flexibleVariants ?? false };
  }

  /**
   * Gives an image another id in place, keeping its listing position (the Map's order). Call inside
   * `write`.
   */
  renameImage(image: ImageRecord, newId: string): void {
    const oldId = image.id;
    image.id = newId;
    this.images = new Map([...this.images].map(([id, record]) => (id === oldId ? [newId, record] : [id, record])));
  }
}
