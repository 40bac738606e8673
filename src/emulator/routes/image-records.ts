import type { EmulatorContext } from "../context.ts";
import { apiErrors } from "../errors.ts";
import type { ImageRecord } from "../state.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Generated ids are UUIDs and custom ids never are, so the id alone tells them apart. */
export function isCustomId(id: string): boolean {
  return !UUID.test(id);
}

export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** A draft whose upload URL expired is gone for the API (details, update, delete, id reuse). */
export function isExpiredDraft(image: ImageRecord, now: number): boolean {
  return image.draft !== undefined && now > Date.parse(image.draft.expiresAt);
}

/** The image (or live draft) with this id, as the API sees it. */
export function findImage(ctx: EmulatorContext, id: string): ImageRecord | undefined {
  const image = ctx.state.images.get(id);
  return image && !isExpiredDraft(image, ctx.now()) ? image : undefined;
}

export function requireImage(ctx: EmulatorContext, id: string): ImageRecord {
  const image = findImage(ctx, id);
  if (!image) throw apiErrors.imageNotFound();
  return image;
}

/**
 * Call inside `state.write` before inserting a record under `id`: refuses an id in use and
 * drops an expired draft that still holds it.
 */
export function claimId(ctx: EmulatorContext, id: string): void {
  if (findImage(ctx, id)) throw apiErrors.imageIdTaken();
  ctx.state.images.delete(id);
}

/**
 * Runs a write that stores a freshly ingested blob; if the write is refused or cannot be
 * persisted, the blob is deleted so nothing is left behind.
 */
export async function writeWithNewBlob<T>(ctx: EmulatorContext, blobKey: string, change: () => T): Promise<T> {
  try {
    return await ctx.state.write(change);
  } catch (error) {
    await ctx.state.blobs.delete(blobKey);
    throw error;
  }
}
