import { inputError, notFoundError } from "../errors.ts";
import type { Variant } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { assertMayRead, loadIfReadable } from "./entry-scopes.ts";
import { upstreamCall } from "./limits.ts";
import { sharedLookup, UPSTREAM_CALLS } from "./upstream-calls.ts";

export const VariantRef = builder.objectRef<Variant>("Variant");

export const VariantFitEnum = builder.enumType("VariantFit", {
  values: {
    SCALE_DOWN: { value: "scale-down" },
    CONTAIN: { value: "contain" },
    COVER: { value: "cover" },
    CROP: { value: "crop" },
    PAD: { value: "pad" },
  } as const,
});

export const VariantMetadataEnum = builder.enumType("VariantMetadata", {
  description: "What metadata delivery keeps: all EXIF, only copyright, or none.",
  values: {
    KEEP: { value: "keep" },
    COPYRIGHT: { value: "copyright" },
    NONE: { value: "none" },
  } as const,
});

const VariantOptionsRef = builder.objectRef<Variant["options"]>("VariantOptions").implement({
  fields: (t) => ({
    fit: t.field({ type: VariantFitEnum, resolve: (o) => o.fit }),
    metadata: t.field({ type: VariantMetadataEnum, resolve: (o) => o.metadata }),
    width: t.exposeInt("width"),
    height: t.exposeInt("height"),
  }),
});

builder.node(VariantRef, {
  description: "A named way of delivering images (size, fit, metadata).",
  id: { resolve: (variant) => variant.id },
  isTypeOf: (value) =>
    typeof value === "object" && value !== null && "options" in value && "neverRequireSignedURLs" in value,
  loadManyWithoutCache: (names, ctx) => loadIfReadable(ctx, "Variant", names, (name) => ctx.loaders.variant(name)),
  fields: (t) => ({
    name: t.exposeString("id"),
    options: t.field({ type: VariantOptionsRef, resolve: (v) => v.options }),
    neverRequireSignedURLs: t.exposeBoolean("neverRequireSignedURLs", {
      description: "When true, this variant serves even images that require signed URLs without a signature.",
    }),
  }),
});

builder.asEntity(VariantRef, {
  key: builder.selection<{ name: string }>("name"),
  // Async for the same reason as Image's; every reference shares the request's one variants call.
  resolveReference: async ({ name }, ctx) => {
    assertMayRead(ctx, "Variant");
    if (typeof name !== "string" || name === "") {
      throw inputError("A Variant representation needs a non-empty `name` string.", { argument: "representations" });
    }
    const variant = await ctx.loaders.variant(name);
    if (!variant) throw notFoundError(`No variant named "${name}".`, { name });
    return variant;
  },
});

builder.queryFields((t) => ({
  variant: t.field({
    type: VariantRef,
    nullable: true,
    complexity: upstreamCall,
    extensions: { [UPSTREAM_CALLS]: sharedLookup("variants") },
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, ctx) => ctx.loaders.variant(name),
  }),
  variants: t.field({
    type: [VariantRef],
    complexity: { field: upstreamCall.field, multiplier: 10 },
    extensions: { [UPSTREAM_CALLS]: sharedLookup("variants") },
    resolve: (_root, _args, ctx) => ctx.loaders.variants(),
  }),
}));
