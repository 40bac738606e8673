import { builder } from "./builder.ts";
import { ImageRef } from "./image.ts";
import { COMMON_ERRORS, ConflictError, resultUnion, ValidationError } from "./mutation-errors.ts";
import { checkImageFields } from "./mutation-input.ts";
import { runMutation } from "./run-mutation.ts";

const MINUTE_MS = 60_000;
/** The upstream's window for the upload URL's expiry: 2 minutes to 6 hours ahead, 30 minutes by default. */
const EXPIRY = { defaultMs: 30 * MINUTE_MS, minMs: 2 * MINUTE_MS, maxMs: 360 * MINUTE_MS } as const;

const DIRECT_UPLOAD_ERRORS = [...COMMON_ERRORS, ConflictError] as const;

const CreateDirectUploadInput = builder.inputType("CreateDirectUploadInput", {
  fields: (t) => ({
    id: t.string({ description: "A custom id for the image to come." }),
    metadata: t.field({ type: "JSON" }),
    creator: t.string(),
    requireSignedURLs: t.boolean(),
    expiresAt: t.field({
      type: "DateTime",
      description: "When the upload URL stops accepting the file: 2 minutes to 6 hours from now (default 30 minutes).",
    }),
  }),
});

interface DirectUploadShape {
  imageId: string;
  uploadURL: string;
  expiresAt: Date;
}

const CreateDirectUploadPayload = builder.objectRef<DirectUploadShape>("CreateDirectUploadPayload").implement({
  fields: (t) => ({
    uploadURL: t.exposeString("uploadURL", {
      description: "A one-time URL: the browser POSTs its file there as multipart field `file`, without credentials.",
    }),
    image: t.field({
      type: ImageRef,
      description: "The draft image (`draft: true` until the file arrives).",
      resolve: async (p, _args, ctx) => {
        const image = await ctx.loaders.image.load(p.imageId);
        if (!image) throw new Error(`The draft image ${p.imageId} is gone`);
        return image;
      },
    }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
  }),
});

builder.mutationField("createDirectUpload", (t) =>
  t.field({
    type: CreateDirectUploadPayload,
    description: "A draft image and a one-time URL a browser uploads its file to directly.",
    args: { input: t.arg({ type: CreateDirectUploadInput, required: true }) },
    errors: resultUnion("CreateDirectUploadResult", DIRECT_UPLOAD_ERRORS),
    resolve: async (_root, { input }, ctx) => {
      const fields = checkImageFields(input);
      const now = Date.now();
      const expiresAt = input.expiresAt ?? new Date(now + EXPIRY.defaultMs);
      if (expiresAt.getTime() < now + EXPIRY.minMs || expiresAt.getTime() > now + EXPIRY.maxMs) {
        throw new ValidationError("The expiry must be between 2 minutes and 6 hours from now.", ["input", "expiresAt"]);
      }
      const target = {
        resource: "IMAGE",
        id: fields.id ?? "",
        idPath: ["input", "id"],
        existing: false,
        errors: DIRECT_UPLOAD_ERRORS,
      } as const;
      const created = await runMutation(ctx, target, (writes, scope) =>
        writes.createDirectUpload(scope, { ...fields, expiry: expiresAt }),
      );
      ctx.live.drafts.rememberExpiry(created.id, expiresAt);
      return { imageId: created.id, uploadURL: created.uploadURL, expiresAt };
    },
  }),
);
