import type { EmulatorContext } from "../context.ts";
import { apiErrors } from "../errors.ts";
import { envelope } from "../http.ts";
import { ingestImageBytes } from "../ingest.ts";
import { FORM_FIELDS_ALLOWANCE, readMultipart } from "../multipart.ts";
import { fetchRemoteImage } from "../remote-image.ts";
import { type ImageRecord, newImageId } from "../state.ts";
import { imageToWire } from "../wire.ts";
import { filePart, parseImageFields, storedFilename, textField } from "./image-form.ts";
import { claimId, findImage, writeWithNewBlob } from "./image-records.ts";

/** `POST /v1`: a file part or a URL to fetch, plus the optional image fields. */
export async function uploadImage(
  request: Request,
  _params: Record<string, string>,
  ctx: EmulatorContext,
): Promise<Response> {
  const { maxFileBytes } = ctx.config.limits;
  const form = await readMultipart(request, maxFileBytes + FORM_FIELDS_ALLOWANCE, () =>
    apiErrors.fileTooLarge(maxFileBytes),
  );
  const fields = parseImageFields(form, ctx);
  const file = filePart(form);
  const url = textField(form, "url");
  if (file && url !== undefined) throw apiErrors.badRequest("Give either file or url, not both");
  if (!file && url === undefined) throw apiErrors.badRequest("Give the image as a file part or as a url");
  // Checked before fetching or storing anything, and again inside the write against races.
  if (fields.id !== undefined && findImage(ctx, fields.id)) throw apiErrors.imageIdTaken();

  const source = file
    ? { bytes: new Uint8Array(await file.arrayBuffer()), filename: file.name }
    : await fetchRemoteImage(url as string, maxFileBytes);
  const stored = await ingestImageBytes(source.bytes, ctx);
  const id = fields.id ?? newImageId();
  const image = await writeWithNewBlob(ctx, stored.blobKey, () => {
    claimId(ctx, id);
    const record: ImageRecord = {
      id,
      filename: storedFilename(source.filename),
      creator: fields.creator,
      meta: fields.meta,
      requireSignedURLs: fields.requireSignedURLs,
      uploaded: new Date(ctx.now()).toISOString(),
      seq: ctx.state.takeSeq(),
      file: stored,
    };
    ctx.state.images.set(id, record);
    return record;
  });
  return envelope(imageToWire(image, ctx));
}
