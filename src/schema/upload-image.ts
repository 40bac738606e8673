import { collectWhilePassing, type RequestFacts } from "../facts/index.ts";
import { type ArrivedFile, type IncomingUpload, UploadUnavailableError } from "../uploads/incoming-upload.ts";
import { sizeLimited } from "../uploads/size-limit.ts";
import type { Image, ImageUpload, NewImageFields } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { ImageRef } from "./image.ts";
import {
  COMMON_ERRORS,
  ConflictError,
  fileTooLarge,
  LimitExceededError,
  resultUnion,
  UnsupportedImageError,
  ValidationError,
} from "./mutation-errors.ts";
import { checkHttpUrl, checkImageFields } from "./mutation-input.ts";
import { runMutation } from "./run-mutation.ts";

const UPLOAD_ERRORS = [...COMMON_ERRORS, ConflictError, LimitExceededError, UnsupportedImageError] as const;

const UploadImageInput = builder.inputType("UploadImageInput", {
  description: "Exactly one of `file` and `url`.",
  fields: (t) => ({
    file: t.field({ type: "Upload", description: "The image, as a file of a multipart request (streamed)." }),
    url: t.string({ description: "An http(s) URL the upstream fetches the image from." }),
    id: t.string({ description: "A custom id (not a UUID; `/` separates segments). Such images cannot be private." }),
    metadata: t.field({ type: "JSON", description: "A JSON object of at most 1024 bytes." }),
    creator: t.string(),
    requireSignedURLs: t.boolean(),
  }),
});

const UploadImagePayload = builder.objectRef<{ image: Image }>("UploadImagePayload").implement({
  fields: (t) => ({
    image: t.field({ type: ImageRef, resolve: (p) => p.image }),
  }),
});

builder.mutationField("uploadImage", (t) =>
  t.field({
    type: UploadImagePayload,
    description: "Uploads an image from a file (streamed to the upstream) or from a URL.",
    args: { input: t.arg({ type: UploadImageInput, required: true }) },
    errors: resultUnion("UploadImageResult", UPLOAD_ERRORS),
    resolve: async (_root, { input }, ctx) => {
      if ((input.file == null) === (input.url == null)) {
        const both = input.file != null;
        throw new ValidationError(
          both ? "Give either a file or a url, not both." : "Give the image as a file or as a url.",
          both ? ["input", "url"] : ["input", "file"],
        );
      }
      const fields = checkImageFields(input);
      const target = {
        resource: "IMAGE",
        id: fields.id ?? "",
        idPath: ["input", "id"],
        existing: false,
        errors: UPLOAD_ERRORS,
      } as const;
      const file = input.file;
      const url = file ? undefined : checkHttpUrl(input.url ?? "", ["input", "url"]);
      const image = await runMutation(ctx, target, (writes, scope) => {
        const send = (upload: ImageUpload) => writes.uploadImage(scope, upload);
        return file
          ? uploadFile(file, fields, ctx.settings.maxUploadBytes, send, ctx.facts)
          : send({ ...fields, url: url ?? "" });
      });
      return { image };
    },
  }),
);

/** Streams the request's file to `send`, cut off past `maxBytes`; `facts` get the bytes as they pass. */
async function uploadFile(
  upload: IncomingUpload,
  fields: NewImageFields,
  maxBytes: number,
  send: (request: ImageUpload) => Promise<Image>,
  facts: RequestFacts | undefined,
): Promise<Image> {
  let file: ArrivedFile;
  try {
    file = await upload.claim();
  } catch (error) {
    if (error instanceof UploadUnavailableError) throw new ValidationError(error.message, ["input", "file"]);
    throw error;
  }
  const limited = sizeLimited(file.stream, maxBytes);
  // The bytes on their way upstream are hashed and kept (one copy) for the image's facts: no second read.
  const teed = facts ? collectWhilePassing(limited.stream, maxBytes) : undefined;
  const request: ImageUpload = {
    ...fields,
    file: { filename: file.filename || "upload", contentType: file.mimeType, stream: teed?.stream ?? limited.stream },
  };
  try {
    const image = await send(request);
    if (teed) await facts?.fromUpload(image, teed.collected);
    return image;
  } catch (error) {
    // Cut off mid-file (by the size limit, or a broken request): the upstream stored nothing.
    if (limited.exceeded) throw fileTooLarge(maxBytes);
    if (upload.brokenBy) throw new ValidationError(`The file could not be read: ${upload.brokenBy}`, ["input", "file"]);
    throw error;
  } finally {
    upload.release();
  }
}
