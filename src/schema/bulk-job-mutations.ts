import type { Context } from "../context.ts";
import { inputError } from "../errors.ts";
import type { ImportItem, Planned, Target, UpdateSet } from "../jobs/index.ts";
import type { Image } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { BulkJobRef, jobOfGlobalId, tenantOf } from "./bulk-job.ts";
import { ImageRef } from "./image.ts";
import { catalogueFilterOf, ImageFilterInput } from "./images-connection.ts";
import { ValidationError } from "./mutation-errors.ts";
import { checkCreator, checkCustomId, checkHttpUrl, checkImageId, checkMetadata } from "./mutation-input.ts";

const SAMPLE_SIZE = 10;

const BulkJobPayload = builder
  .objectRef<{ planned: Planned; sample: readonly Image[]; dryRun: boolean }>("BulkJobPayload")
  .implement({
    description: "The job made, or with `dryRun` what it would touch (nothing changed).",
    fields: (t) => ({
      job: t.field({
        type: BulkJobRef,
        nullable: true,
        description: "Null with `dryRun`.",
        resolve: (p) => p.planned.job ?? null,
      }),
      dryRun: t.exposeBoolean("dryRun"),
      matched: t.int({ description: "Items in the selection.", resolve: (p) => p.planned.matched }),
      sample: t.field({
        type: [ImageRef],
        description: `Up to ${SAMPLE_SIZE} of the images selected (for an import: none).`,
        resolve: (p) => [...p.sample],
      }),
    }),
  });

const BulkImageSetInput = builder.inputType("BulkImageSet", {
  description: "What an update writes on every image selected; fields left out stay as they are.",
  fields: (t) => ({
    metadata: t.field({ type: "JSON", description: "A JSON object of at most 1024 bytes." }),
    mergeMetadata: t.boolean({
      description: "Merge `metadata` into each image's own (its keys win) instead of replacing it.",
    }),
    creator: t.string(),
    requireSignedURLs: t.boolean(),
  }),
});

const selectionFields = {
  imageIds: { description: "These images (at most BULK_MAX_ITEMS). Or give `filter` and/or `search`." },
} as const;

const DeleteImagesInput = builder.inputType("DeleteImagesInput", {
  fields: (t) => ({
    imageIds: t.idList({ description: selectionFields.imageIds.description }),
    filter: t.field({ type: ImageFilterInput, description: "The images matching now (the catalogue decides)." }),
    search: t.string({ description: "As `images(search:)`; combines with `filter`." }),
    dryRun: t.boolean({ defaultValue: false, description: "Answer what would be touched; change nothing." }),
  }),
});

const UpdateImagesInput = builder.inputType("UpdateImagesInput", {
  fields: (t) => ({
    imageIds: t.idList({ description: selectionFields.imageIds.description }),
    filter: t.field({ type: ImageFilterInput }),
    search: t.string(),
    set: t.field({ type: BulkImageSetInput, required: true }),
    dryRun: t.boolean({ defaultValue: false }),
  }),
});

const ImportImageItemInput = builder.inputType("ImportImageItem", {
  fields: (t) => ({
    url: t.string({ required: true, description: "An http(s) URL the upstream fetches the image from." }),
    id: t.id({ description: "A custom id; an item whose id already exists is skipped." }),
    metadata: t.field({ type: "JSON" }),
    creator: t.string(),
    requireSignedURLs: t.boolean({ description: "Not with a custom id." }),
  }),
});

const ImportImagesInput = builder.inputType("ImportImagesInput", {
  fields: (t) => ({
    items: t.field({ type: [ImportImageItemInput], required: true }),
    dryRun: t.boolean({ defaultValue: false }),
  }),
});

const CancelBulkJobInput = builder.inputType("CancelBulkJobInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const CancelBulkJobPayload = builder.objectRef<{ job: unknown }>("CancelBulkJobPayload").implement({
  fields: (t) => ({
    job: t.field({
      type: BulkJobRef,
      description: "As it is now; a finished job is left as it was.",
      resolve: (p) => p.job as never,
    }),
  }),
});

interface SelectionArgs {
  imageIds?: (string | number)[] | null;
  filter?: Parameters<typeof catalogueFilterOf>[0]["filter"];
  search?: string | null;
}

function targetOf(input: SelectionArgs): Target {
  const byIds = input.imageIds != null;
  const byFilter = input.filter != null || input.search != null;
  if (byIds === byFilter) {
    throw inputError("Give either `imageIds`, or `filter` and/or `search`.", { argument: "input" });
  }
  if (input.imageIds) {
    return { imageIds: input.imageIds.map((id, i) => checkImageId(String(id), ["input", "imageIds", String(i)])) };
  }
  return { filter: catalogueFilterOf({ filter: input.filter ?? null, search: input.search ?? null }) };
}

function setOf(input: {
  metadata?: unknown;
  mergeMetadata?: boolean | null;
  creator?: string | null;
  requireSignedURLs?: boolean | null;
}): UpdateSet {
  const set: { -readonly [K in keyof UpdateSet]: UpdateSet[K] } = {};
  if (input.metadata != null) set.metadata = checkMetadata(input.metadata, ["input", "set", "metadata"]);
  if (input.creator != null) set.creator = checkCreator(input.creator, ["input", "set", "creator"]);
  if (input.requireSignedURLs != null) set.requireSignedURLs = input.requireSignedURLs;
  if (Object.keys(set).length === 0) throw new ValidationError("Give at least one field to change.", ["input", "set"]);
  if (input.mergeMetadata) {
    if (set.metadata === undefined) {
      throw new ValidationError("`mergeMetadata` needs `metadata`.", ["input", "set", "mergeMetadata"]);
    }
    set.mergeMetadata = true;
  }
  return set;
}

function importItemOf(
  item: {
    url: string;
    id?: string | number | null;
    metadata?: unknown;
    creator?: string | null;
    requireSignedURLs?: boolean | null;
  },
  index: number,
): ImportItem {
  const path = (field: string) => ["input", "items", String(index), field];
  const id = item.id == null ? undefined : checkCustomId(String(item.id), path("id"));
  if (id !== undefined && item.requireSignedURLs) {
    throw new ValidationError("An image with a custom id cannot require signed URLs.", path("requireSignedURLs"));
  }
  return {
    url: checkHttpUrl(item.url, path("url")),
    ...(id !== undefined ? { id } : {}),
    ...(item.metadata != null ? { metadata: checkMetadata(item.metadata, path("metadata")) } : {}),
    ...(item.creator != null ? { creator: checkCreator(item.creator, path("creator")) } : {}),
    ...(item.requireSignedURLs != null ? { requireSignedURLs: item.requireSignedURLs } : {}),
  };
}

/** By ids the catalogue holds no sample: the first few are read through the request's loaders. */
async function payloadOf(ctx: Context, planned: Planned, target: Target | undefined, dryRun: boolean) {
  let sample = planned.selection.sample;
  if (dryRun && target && "imageIds" in target) {
    const loaded = await ctx.loaders.image.loadMany(target.imageIds.slice(0, SAMPLE_SIZE));
    sample = loaded.filter((image): image is Image => image !== null && !(image instanceof Error));
  }
  return { planned, sample, dryRun };
}

const BULK = { authScopes: { "images:bulk": true } } as const;

/** A bulk mutation answers a job or a GraphQL error: its input checks become BAD_USER_INPUT with the field. */
function checked<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ValidationError) throw inputError(error.message, { argument: error.path.join(".") });
    throw error;
  }
}

builder.mutationFields((t) => ({
  deleteImages: t.field({
    ...BULK,
    type: BulkJobPayload,
    description: "Deletes the images selected, as one job (scopes `images:write` and `images:bulk`).",
    args: { input: t.arg({ type: DeleteImagesInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const target = checked(() => targetOf(input));
      const dryRun = input.dryRun ?? false;
      return payloadOf(ctx, await ctx.jobs.deleteImages(tenantOf(ctx), target, dryRun), target, dryRun);
    },
  }),
  updateImages: t.field({
    ...BULK,
    type: BulkJobPayload,
    description: "Writes `set` on every image selected, as one job (scopes `images:write` and `images:bulk`).",
    args: { input: t.arg({ type: UpdateImagesInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const set = checked(() => setOf(input.set));
      const target = checked(() => targetOf(input));
      const dryRun = input.dryRun ?? false;
      return payloadOf(ctx, await ctx.jobs.updateImages(tenantOf(ctx), target, set, dryRun), target, dryRun);
    },
  }),
  importImages: t.field({
    ...BULK,
    type: BulkJobPayload,
    description:
      "Imports images by URL, as one job; an item whose custom id already exists is skipped (scopes `images:write` and `images:bulk`).",
    args: { input: t.arg({ type: ImportImagesInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const items = checked(() => input.items.map(importItemOf));
      const dryRun = input.dryRun ?? false;
      return payloadOf(ctx, await ctx.jobs.importImages(tenantOf(ctx), items, dryRun), undefined, dryRun);
    },
  }),
  cancelBulkJob: t.field({
    ...BULK,
    type: CancelBulkJobPayload,
    description: "Stops a job: items not yet taken stay as they were. A finished job is answered unchanged.",
    args: { input: t.arg({ type: CancelBulkJobInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const job = await jobOfGlobalId(ctx, String(input.id));
      return { job: (await ctx.jobs.cancel(tenantOf(ctx), job.id)) ?? job };
    },
  }),
}));
