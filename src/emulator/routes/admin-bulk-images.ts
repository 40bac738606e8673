import type { EmulatorContext } from "../context.ts";
import { ingestImageBytes } from "../ingest.ts";
import { isPlainObject } from "../json-body.ts";
import { samplePng } from "../samples/index.ts";
import { type ImageRecord, newImageId, type StoredFile } from "../state.ts";
import { adminInputError, integerField } from "./admin-input.ts";

const MAX_BULK_IMAGES = 10_000;
/** Small enough that ten thousand of them stay cheap; still real, decodable PNGs. */
const BULK_IMAGE_SIDE = 8;

interface BulkRequest {
  count: number;
  creator: string | null;
  meta: Record<string, unknown>;
  requireSignedURLs: boolean;
}

/**
 * Creates many images in one write, through the same ingest path as uploads, so tests and the
 * benchmark can fill an account with thousands of images without thousands of requests.
 */
export async function createBulkImages(body: Record<string, unknown>, ctx: EmulatorContext): Promise<string[]> {
  const request = parseBulkRequest(body, ctx.config.limits.maxMetadataBytes);
  const files: StoredFile[] = [];
  try {
    for (let i = 0; i < request.count; i++)
      files.push(await ingestImageBytes(samplePng(BULK_IMAGE_SIDE, BULK_IMAGE_SIDE, i), ctx));
  } catch (error) {
    for (const file of files) await ctx.state.blobs.delete(file.blobKey);
    throw error;
  }
  const uploaded = new Date(ctx.now()).toISOString();
  return ctx.state.write(() =>
    files.map((file, i) => {
      const image: ImageRecord = {
        id: newImageId(),
        filename: `bulk-${i + 1}.png`,
        creator: request.creator,
        meta: structuredClone(request.meta),
        requireSignedURLs: request.requireSignedURLs,
        uploaded,
        seq: ctx.state.takeSeq(),
        file,
      };
      ctx.state.images.set(image.id, image);
      return image.id;
    }),
  );
}

function parseBulkRequest(body: Record<string, unknown>, maxMetadataBytes: number): BulkRequest {
  const count = integerField(body, "count", 1, MAX_BULK_IMAGES);
  if (count === undefined) throw adminInputError("count is required");
  const { creator, meta, requireSignedURLs } = body;
  if (creator !== undefined && creator !== null && (typeof creator !== "string" || creator.length > 1024)) {
    throw adminInputError("creator must be a string of at most 1024 characters, or null");
  }
  if (meta !== undefined && !isPlainObject(meta)) throw adminInputError("meta must be an object");
  if (meta !== undefined && Buffer.byteLength(JSON.stringify(meta)) > maxMetadataBytes) {
    throw adminInputError(`meta must be at most ${maxMetadataBytes} bytes of JSON`);
  }
  if (requireSignedURLs !== undefined && typeof requireSignedURLs !== "boolean") {
    throw adminInputError("requireSignedURLs must be a boolean");
  }
  return { count, creator: creator ?? null, meta: meta ?? {}, requireSignedURLs: requireSignedURLs ?? false };
}
