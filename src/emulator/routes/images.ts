import type { EmulatorContext } from "../context.ts";
import { apiErrors } from "../errors.ts";
import { envelope, type Router } from "../http.ts";
import { readJsonObject } from "../json-body.ts";
import { newImageId } from "../state.ts";
import { imageToWire } from "../wire.ts";
import { checkMetadata, checkPrivacyAllowed, parseCreator } from "./image-form.ts";
import { requireImage } from "./image-records.ts";
import { uploadImage } from "./image-upload.ts";
import { registerImageListRoutes } from "./images-list.ts";

const IMAGES = "/accounts/{account_id}/images/v1";
const IMAGE = `${IMAGES}/{image_id}`;

export function registerImageRoutes(router: Router<EmulatorContext>): void {
  router
    .add("POST", IMAGES, uploadImage)
    .add("GET", IMAGE, async (_request, params, ctx) => envelope(imageToWire(requireImage(ctx, imageId(params)), ctx)))
    .add("PATCH", IMAGE, updateImage)
    .add("DELETE", IMAGE, deleteImage)
    .add("GET", `${IMAGE}/blob`, downloadImage);
  registerImageListRoutes(router);
}

/** The router decodes the segment, so a custom id sent as `a%2Fb` arrives as `a/b`. */
function imageId(params: Record<string, string>): string {
  return params.image_id ?? "";
}

interface ImageChanges {
  meta?: Record<string, unknown>;
  creator?: string | null;
  requireSignedURLs?: boolean;
}

/** Omitted fields stay as they are; `metadata` replaces the whole object. */
async function updateImage(request: Request, params: Record<string, string>, ctx: EmulatorContext): Promise<Response> {
  const changes = parseChanges(await readJsonObject(request), ctx.config.limits.maxMetadataBytes);
  const id = imageId(params);
  const image = await ctx.state.write(() => {
    const target = requireImage(ctx, id);
    if (changes.requireSignedURLs !== undefined) checkPrivacyAllowed(target.id, changes.requireSignedURLs);
    if (changes.meta !== undefined) target.meta = changes.meta;
    if (changes.creator !== undefined) target.creator = changes.creator;
    if (changes.requireSignedURLs !== undefined && changes.requireSignedURLs !== target.requireSignedURLs) {
      target.requireSignedURLs = changes.requireSignedURLs;
      if (ctx.config.newIdOnSignedUrlsChange) ctx.state.renameImage(target, newImageId());
    }
    return target;
  });
  return envelope(imageToWire(image, ctx));
}

function parseChanges(body: Record<string, unknown>, maxMetadataBytes: number): ImageChanges {
  const changes: ImageChanges = {};
  if (body.metadata !== undefined) changes.meta = checkMetadata(body.metadata, maxMetadataBytes);
  if (body.creator !== undefined) {
    if (body.creator !== null && typeof body.creator !== "string") {
      throw apiErrors.badRequest("creator must be a string (empty or null to clear it)");
    }
    changes.creator = body.creator === null ? null : parseCreator(body.creator);
  }
  if (body.requireSignedURLs !== undefined) {
    if (typeof body.requireSignedURLs !== "boolean") throw apiErrors.badRequest("requireSignedURLs must be a boolean");
    changes.requireSignedURLs = body.requireSignedURLs;
  }
  return changes;
}

async function deleteImage(_request: Request, params: Record<string, string>, ctx: EmulatorContext): Promise<Response> {
  const id = imageId(params);
  const image = requireImage(ctx, id);
  await ctx.state.write(
    () => {
      // Another request may have replaced, renamed or deleted it since the lookup above.
      if (ctx.state.images.get(id) !== image) throw apiErrors.imageNotFound();
      ctx.state.images.delete(id);
    },
    image.file ? [image.file.blobKey] : [],
  );
  return envelope({});
}

/** The stored original; a draft has none yet. */
async function downloadImage(
  _request: Request,
  params: Record<string, string>,
  ctx: EmulatorContext,
): Promise<Response> {
  const { file } = requireImage(ctx, imageId(params));
  const bytes = file && (await ctx.state.blobs.get(file.blobKey));
  if (!file || !bytes) throw apiErrors.imageNotFound();
  // Stored blobs never live in a SharedArrayBuffer; the DOM body type cannot know that.
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: { "content-type": file.contentType, "content-length": String(bytes.byteLength) },
  });
}
