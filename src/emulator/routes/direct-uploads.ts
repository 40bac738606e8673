import { type EmulatorContext, uploadUrl } from "../context.ts";
import { apiErrors } from "../errors.ts";
import { envelope, type Router } from "../http.ts";
import { ingestImageBytes } from "../ingest.ts";
import { isPlainObject } from "../json-body.ts";
import { FORM_FIELDS_ALLOWANCE, readMultipart } from "../multipart.ts";
import { type ImageRecord, newImageId } from "../state.ts";
import { imageToWire } from "../wire.ts";
import { filePart, type ImageFields, parseImageFields, storedFilename, textField } from "./image-form.ts";
import { claimId, isExpiredDraft, writeWithNewBlob } from "./image-records.ts";

const MINUTE_MS = 60_000;
/**
 * Expiry: default now + 30 minutes, allowed from now + 2 minutes to now + 6 hours
 * (https://developers.cloudflare.com/images/upload-images/direct-creator-upload/).
 */
const EXPIRY = { defaultMs: 30 * MINUTE_MS, minMs: 2 * MINUTE_MS, maxMs: 6 * 60 * MINUTE_MS } as const;

export function registerDirectUploadRoutes(router: Router<EmulatorContext>): void {
  router
    .add("POST", "/accounts/{account_id}/images/v1/direct_upload", createDirectUploadV1)
    .add("POST", "/accounts/{account_id}/images/v2/direct_upload", createDirectUploadV2);
}

/**
 * The one-time upload URL (upstream: upload.imagedelivery.net), reached without credentials and,
 * like the real one, from any web page: browsers post to it from the site that asked for the URL.
 */
export function registerUploadUrlRoutes(open: Router<EmulatorContext>): void {
  open
    .add("POST", "/upload/{account_hash}/{image_id+}", uploadToDraft)
    .add("OPTIONS", "/upload/{account_hash}/{image_id+}", async () => new Response(null, { status: 204 }));
}

/** What the upload URL's answers carry, errors included, so a page can read them. */
export const UPLOAD_URL_CORS: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "content-type",
  "access-control-max-age": "600",
};

/** v1 takes JSON with only `expiry` (spec); an empty body is allowed. */
async function createDirectUploadV1(
  request: Request,
  _params: Record<string, string>,
  ctx: EmulatorContext,
): Promise<Response> {
  const text = await request.text();
  let body: unknown = {};
  try {
    if (text.trim() !== "") body = JSON.parse(text);
  } catch {
    throw apiErrors.badRequest("The request body must be valid JSON");
  }
  if (!isPlainObject(body)) throw apiErrors.badRequest("The request body must be a JSON object");
  if (body.expiry !== undefined && typeof body.expiry !== "string") {
    throw apiErrors.badRequest("expiry must be an ISO 8601 date-time string");
  }
  const fields: ImageFields = { id: undefined, creator: null, meta: {}, requireSignedURLs: false };
  return createDraft(ctx, fields, body.expiry);
}

/** v2 takes a multipart form with the upload's image fields. */
async function createDirectUploadV2(
  request: Request,
  _params: Record<string, string>,
  ctx: EmulatorContext,
): Promise<Response> {
  const form = await readMultipart(request, FORM_FIELDS_ALLOWANCE);
  return createDraft(ctx, parseImageFields(form, ctx), textField(form, "expiry"));
}

async function createDraft(ctx: EmulatorContext, fields: ImageFields, expiry: string | undefined): Promise<Response> {
  const now = ctx.now();
  const expiresAt = draftExpiry(expiry, now);
  const id = fields.id ?? newImageId();
  await ctx.state.write(() => {
    claimId(ctx, id);
    ctx.state.images.set(id, {
      id,
      filename: "",
      creator: fields.creator,
      meta: fields.meta,
      requireSignedURLs: fields.requireSignedURLs,
      uploaded: new Date(now).toISOString(),
      seq: ctx.state.takeSeq(),
      draft: { expiresAt },
    });
  });
  return envelope({ id, uploadURL: uploadUrl(ctx.config, id) });
}

function draftExpiry(expiry: string | undefined, now: number): string {
  if (expiry === undefined) return new Date(now + EXPIRY.defaultMs).toISOString();
  const at = Date.parse(expiry);
  if (Number.isNaN(at)) throw apiErrors.badRequest("expiry must be an ISO 8601 date-time");
  if (at < now + EXPIRY.minMs || at > now + EXPIRY.maxMs) {
    throw apiErrors.badRequest("expiry must be between 2 minutes and 6 hours from now");
  }
  return new Date(at).toISOString();
}

/**
 * The creator's upload: the draft gets its file, stops being a draft and moves to the end of the
 * listing order (it is uploaded now). Bytes that fail the checks leave the draft usable.
 */
async function uploadToDraft(
  request: Request,
  params: Record<string, string>,
  ctx: EmulatorContext,
): Promise<Response> {
  const id = draftIdOf(params, ctx);
  openDraft(ctx, id);
  const { maxFileBytes } = ctx.config.limits;
  const form = await readMultipart(request, maxFileBytes + FORM_FIELDS_ALLOWANCE, () =>
    apiErrors.fileTooLarge(maxFileBytes),
  );
  const file = filePart(form);
  if (!file) throw apiErrors.badRequest("Give the image as a file part named file");
  const stored = await ingestImageBytes(new Uint8Array(await file.arrayBuffer()), ctx);
  const image = await writeWithNewBlob(ctx, stored.blobKey, () => {
    const { draft: _draft, ...rest } = openDraft(ctx, id);
    const uploaded: ImageRecord = {
      ...rest,
      filename: storedFilename(file.name),
      uploaded: new Date(ctx.now()).toISOString(),
      seq: ctx.state.takeSeq(),
      file: stored,
    };
    ctx.state.images.delete(id);
    ctx.state.images.set(id, uploaded);
    return uploaded;
  });
  return envelope(imageToWire(image, ctx));
}

/** The id of an upload URL: its path segments are encoded one by one (`encodeImageIdPath`). */
function draftIdOf(params: Record<string, string>, ctx: EmulatorContext): string {
  if (params.account_hash !== ctx.config.accountHash) throw apiErrors.imageNotFound();
  try {
    return (params.image_id ?? "").split("/").map(decodeURIComponent).join("/");
  } catch {
    throw apiErrors.imageNotFound();
  }
}

function openDraft(ctx: EmulatorContext, id: string): ImageRecord {
  const image = ctx.state.images.get(id);
  if (!image) throw apiErrors.imageNotFound();
  if (!image.draft) throw apiErrors.uploadUrlUsed();
  if (isExpiredDraft(image, ctx.now())) throw apiErrors.uploadUrlExpired();
  return image;
}
