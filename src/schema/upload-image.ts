import type { Context } from "../context.ts";
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
      const image = await runMutation(
        ctx,
        target,
        (api) => (file ? uploadFile(file, fields, ctx) : api.images.upload({ ...fields, url: url ?? "" })),
        (uploaded, loaders) => loaders.primeImages([uploaded]),
      );
      await ctx.changes.emit({ kind: "created", imageId: image.id, image, tenant: ctx.upstreamKey });
      return { image };
    },
  }),
);

async function uploadFile(upload: IncomingUpload, fields: NewImageFields, ctx: Context): Promise<Image> {
  let file: ArrivedFile;
  try {
    file = await upload.claim();
  } catch (error) {
    if (error instanceof UploadUnavailableError) throw new ValidationError(error.message, ["input", "file"]);
    throw error;
  }
  const maxBytes = ctx.settings.maxUploadBytes;
  const limited = sizeLimited(file.stream, maxBytes);
  const request: ImageUpload = {
    ...fields,
    file: { filename: file.filename || "upload", contentType: file.mimeType, stream: limited.stream },
  };
  try {
    return await ctx.api.images.upload(request);
  } catch (error) {
    // Cut off mid-file (by the size limit, or a broken request): the upstream stored nothing.
    if (limited.exceeded) throw fileTooLarge(maxBytes);
    if (upload.brokenBy) throw new ValidationError(`The file could not be read: ${upload.brokenBy}`, ["input", "file"]);
    throw error;
  } finally {
    upload.release();
  }
}
