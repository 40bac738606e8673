import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Variant, VariantOptions } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import {
  CHANGE_ERRORS,
  COMMON_ERRORS,
  ConflictError,
  LimitExceededError,
  MAX_VARIANTS,
  resultUnion,
  ValidationError,
  variantLimit,
} from "./mutation-errors.ts";
import { checkName } from "./mutation-input.ts";
import { runMutation } from "./run-mutation.ts";
import { UPSTREAM_CALLS } from "./upstream-calls.ts";
import { VariantFitEnum, VariantMetadataEnum, VariantRef } from "./variant.ts";

const MAX_VARIANT_NAME_CHARS = 99;
const PUBLIC_VARIANT = "public";

const VariantOptionsInput = builder.inputType("VariantOptionsInput", {
  fields: (t) => ({
    fit: t.field({ type: VariantFitEnum, required: true }),
    width: t.int({ required: true, description: "Pixels, at least 1: the box the image fits in." }),
    height: t.int({ required: true }),
    metadata: t.field({ type: VariantMetadataEnum, required: true }),
  }),
});

const CreateVariantInput = builder.inputType("CreateVariantInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "1 to 99 characters." }),
    options: t.field({ type: VariantOptionsInput, required: true }),
    neverRequireSignedURLs: t.boolean({ description: "Serve even private images through this variant unsigned." }),
  }),
});

const UpdateVariantInput = builder.inputType("UpdateVariantInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    options: t.field({ type: VariantOptionsInput, required: true }),
    neverRequireSignedURLs: t.boolean(),
  }),
});

const DeleteVariantInput = builder.inputType("DeleteVariantInput", {
  fields: (t) => ({ name: t.string({ required: true, description: "Any variant but `public`." }) }),
});

function variantPayload(name: string) {
  return builder.objectRef<{ variant: Variant }>(name).implement({
    fields: (t) => ({
      variant: t.field({ type: VariantRef, resolve: (p) => p.variant }),
    }),
  });
}

const DeleteVariantPayload = builder.objectRef<{ name: string }>("DeleteVariantPayload").implement({
  fields: (t) => ({
    deletedVariantName: t.string({ resolve: (p) => p.name }),
    deletedId: t.id({
      description: "The deleted variant's global id.",
      resolve: (p) => encodeGlobalID("Variant", p.name),
    }),
  }),
});

function checkOptions(options: VariantOptions): VariantOptions {
  for (const side of ["width", "height"] as const) {
    if (!Number.isInteger(options[side]) || options[side] < 1) {
      throw new ValidationError(`The ${side} must be a whole number of pixels, at least 1.`, [
        "input",
        "options",
        side,
      ]);
    }
  }
  return options;
}

const CREATE_ERRORS = [...COMMON_ERRORS, ConflictError, LimitExceededError] as const;

function target(name: string, existing: boolean) {
  const errors = existing ? CHANGE_ERRORS : CREATE_ERRORS;
  return { resource: "VARIANT", id: name, idPath: ["input", "name"], existing, errors } as const;
}

builder.mutationFields((t) => ({
  createVariant: t.field({
    type: variantPayload("CreateVariantPayload"),
    extensions: { [UPSTREAM_CALLS]: { calls: 1, shared: ["variants"] } },
    args: { input: t.arg({ type: CreateVariantInput, required: true }) },
    errors: resultUnion("CreateVariantResult", CREATE_ERRORS),
    resolve: async (_root, { input }, ctx) => {
      const name = checkName(input.name, MAX_VARIANT_NAME_CHARS, "variant", ["input", "name"]);
      const options = checkOptions(input.options);
      // The upstream's code for the limit is unconfirmed, so the count is checked here first, on the
      // upstream's list as it is now (a variant made or removed elsewhere counts).
      const existing = await ctx.api.variants.list({ fresh: true });
      if (existing.some((v) => v.id === name)) {
        throw new ConflictError(`A variant named "${name}" already exists.`, ["input", "name"]);
      }
      if (existing.length >= MAX_VARIANTS) throw variantLimit();
      const variant = await runMutation(ctx, target(name, false), (writes, scope) =>
        writes.createVariant(scope, {
          id: name,
          options,
          neverRequireSignedURLs: input.neverRequireSignedURLs ?? false,
        }),
      );
      return { variant };
    },
  }),
  updateVariant: t.field({
    type: variantPayload("UpdateVariantPayload"),
    args: { input: t.arg({ type: UpdateVariantInput, required: true }) },
    errors: resultUnion("UpdateVariantResult", CHANGE_ERRORS),
    resolve: async (_root, { input }, ctx) => {
      const options = checkOptions(input.options);
      const change = {
        options,
        ...(input.neverRequireSignedURLs == null ? {} : { neverRequireSignedURLs: input.neverRequireSignedURLs }),
      };
      const variant = await runMutation(ctx, target(input.name, true), (writes, scope) =>
        writes.updateVariant(scope, input.name, change),
      );
      return { variant };
    },
  }),
  deleteVariant: t.field({
    type: DeleteVariantPayload,
    args: { input: t.arg({ type: DeleteVariantInput, required: true }) },
    errors: resultUnion("DeleteVariantResult", CHANGE_ERRORS),
    resolve: async (_root, { input }, ctx) => {
      if (input.name === PUBLIC_VARIANT) {
        throw new ValidationError("The public variant cannot be deleted.", ["input", "name"]);
      }
      await runMutation(ctx, target(input.name, true), (writes, scope) => writes.deleteVariant(scope, input.name));
      return { name: input.name };
    },
  }),
}));
