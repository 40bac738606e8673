import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Image, ImageUpdate } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { ImageRef } from "./image.ts";
import { CHANGE_ERRORS, resultUnion, ValidationError } from "./mutation-errors.ts";
import { checkCreator, checkImageId, checkMetadata, isCustomImageId } from "./mutation-input.ts";
import { runMutation } from "./run-mutation.ts";

const UpdateImageInput = builder.inputType("UpdateImageInput", {
  description: "Fields left out stay as they are.",
  fields: (t) => ({
    imageId: t.id({ required: true }),
    metadata: t.field({ type: "JSON", description: "Replaces the metadata: a JSON object of at most 1024 bytes." }),
    creator: t.string(),
    requireSignedURLs: t.boolean({ description: "Images with a custom id cannot require signed URLs." }),
  }),
});

const UpdateImagePayload = builder
  .objectRef<{ image: Image; previousImageId: string | null }>("UpdateImagePayload")
  .implement({
    fields: (t) => ({
      image: t.field({ type: ImageRef, resolve: (p) => p.image }),
      previousImageId: t.id({
        nullable: true,
        description:
          "Set when the upstream gave the image a new id (changing requireSignedURLs may): the id it had, to re-key a client cache. The image's id is `image.imageId` from now on.",
        resolve: (p) => p.previousImageId,
      }),
    }),
  });

const DeleteImageInput = builder.inputType("DeleteImageInput", {
  fields: (t) => ({ imageId: t.id({ required: true }) }),
});

const DeleteImagePayload = builder.objectRef<{ imageId: string }>("DeleteImagePayload").implement({
  fields: (t) => ({
    deletedImageId: t.id({ description: "The upstream id of the deleted image.", resolve: (p) => p.imageId }),
    deletedId: t.id({
      description: "The deleted image's global id, to evict it from a client cache.",
      resolve: (p) => encodeGlobalID("Image", p.imageId),
    }),
  }),
});

function imageTarget(imageId: string) {
  return {
    resource: "IMAGE",
    id: imageId,
    idPath: ["input", "imageId"],
    existing: true,
    errors: CHANGE_ERRORS,
  } as const;
}

builder.mutationFields((t) => ({
  updateImage: t.field({
    type: UpdateImagePayload,
    args: { input: t.arg({ type: UpdateImageInput, required: true }) },
    errors: resultUnion("UpdateImageResult", CHANGE_ERRORS),
    resolve: async (_root, { input }, ctx) => {
      const imageId = checkImageId(String(input.imageId), ["input", "imageId"]);
      const update: ImageUpdate = {};
      if (input.metadata != null) update.metadata = checkMetadata(input.metadata, ["input", "metadata"]);
      if (input.creator != null) update.creator = checkCreator(input.creator, ["input", "creator"]);
      if (input.requireSignedURLs != null) update.requireSignedURLs = input.requireSignedURLs;
      if (Object.keys(update).length === 0) {
        throw new ValidationError("Give at least one field to change.", ["input"]);
      }
      if (update.requireSignedURLs && isCustomImageId(imageId)) {
        throw new ValidationError("An image with a custom id cannot require signed URLs.", [
          "input",
          "requireSignedURLs",
        ]);
      }
      const { image, previousImageId } = await runMutation(ctx, imageTarget(imageId), (writes, scope) =>
        writes.updateImage(scope, imageId, update),
      );
      return { image, previousImageId: previousImageId ?? null };
    },
  }),
  deleteImage: t.field({
    type: DeleteImagePayload,
    args: { input: t.arg({ type: DeleteImageInput, required: true }) },
    errors: resultUnion("DeleteImageResult", CHANGE_ERRORS),
    resolve: async (_root, { input }, ctx) => {
      const imageId = checkImageId(String(input.imageId), ["input", "imageId"]);
      await runMutation(ctx, imageTarget(imageId), (writes, scope) => writes.deleteImage(scope, imageId));
      return { imageId };
    },
  }),
}));
