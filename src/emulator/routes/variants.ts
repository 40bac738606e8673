import type { EmulatorContext } from "../context.ts";
import { apiErrors } from "../errors.ts";
import { envelope, type Router } from "../http.ts";
import { isPlainObject, readJsonObject } from "../json-body.ts";
import { PUBLIC_VARIANT, type VariantFit, type VariantMetadata, type VariantRecord } from "../state.ts";

const VARIANTS = "/accounts/{account_id}/images/v1/variants";
const VARIANT = `${VARIANTS}/{variant_id}`;

/** The spec caps names at 99 characters; the charset is this emulator's choice (URL-safe as is). */
const VARIANT_ID = /^[A-Za-z0-9_-]{1,99}$/;
/** No maximum is documented; a variant larger than the largest storable image makes no sense. */
const MAX_VARIANT_SIDE = 12_000;
const FITS: readonly VariantFit[] = ["scale-down", "contain", "cover", "crop", "pad"];
const METADATA: readonly VariantMetadata[] = ["keep", "copyright", "none"];

export function registerVariantRoutes(router: Router<EmulatorContext>): void {
  router
    .add("GET", VARIANTS, listVariants)
    .add("POST", VARIANTS, createVariant)
    .add("GET", VARIANT, async (_request, params, ctx) => envelope({ variant: existingVariant(params, ctx) }))
    .add("GET", `${VARIANT}/flat`, async (_request, params, ctx) => envelope(existingVariant(params, ctx)))
    .add("PATCH", VARIANT, updateVariant)
    .add("DELETE", VARIANT, deleteVariant);
}

async function listVariants(
  _request: Request,
  _params: Record<string, string>,
  ctx: EmulatorContext,
): Promise<Response> {
  return envelope({ variants: Object.fromEntries(ctx.state.variants) });
}

async function createVariant(
  request: Request,
  _params: Record<string, string>,
  ctx: EmulatorContext,
): Promise<Response> {
  const body = await readJsonObject(request);
  if (typeof body.id !== "string" || !VARIANT_ID.test(body.id)) {
    throw apiErrors.badRequest("id is required: 1 to 99 characters of A-Z, a-z, 0-9, '_' and '-'");
  }
  const variant: VariantRecord = {
    id: body.id,
    options: parseOptions(body.options),
    neverRequireSignedURLs: parseNeverRequireSignedURLs(body.neverRequireSignedURLs) ?? false,
  };
  const { maxVariants } = ctx.config.limits;
  // Checked inside the write so two concurrent creates cannot both pass.
  await ctx.state.write(() => {
    if (ctx.state.variants.has(variant.id)) throw apiErrors.variantIdTaken();
    if (ctx.state.variants.size >= maxVariants) throw apiErrors.variantLimit(maxVariants);
    ctx.state.variants.set(variant.id, variant);
  });
  return envelope({ variant });
}

async function updateVariant(
  request: Request,
  params: Record<string, string>,
  ctx: EmulatorContext,
): Promise<Response> {
  existingVariant(params, ctx);
  const body = await readJsonObject(request);
  const options = parseOptions(body.options);
  const neverRequireSignedURLs = parseNeverRequireSignedURLs(body.neverRequireSignedURLs);
  const updated = await ctx.state.write(() => {
    const current = existingVariant(params, ctx);
    const next: VariantRecord = {
      id: current.id,
      options,
      neverRequireSignedURLs: neverRequireSignedURLs ?? current.neverRequireSignedURLs,
    };
    ctx.state.variants.set(next.id, next);
    return next;
  });
  return envelope({ variant: updated });
}

async function deleteVariant(
  _request: Request,
  params: Record<string, string>,
  ctx: EmulatorContext,
): Promise<Response> {
  if (existingVariant(params, ctx).id === PUBLIC_VARIANT.id) throw apiErrors.publicVariantUndeletable();
  await ctx.state.write(() => {
    existingVariant(params, ctx);
    ctx.state.variants.delete(params.variant_id ?? "");
  });
  return envelope({});
}

function existingVariant(params: Record<string, string>, ctx: EmulatorContext): VariantRecord {
  const variant = ctx.state.variants.get(params.variant_id ?? "");
  if (!variant) throw apiErrors.variantNotFound();
  return variant;
}

function parseOptions(value: unknown): VariantRecord["options"] {
  if (!isPlainObject(value)) throw apiErrors.badRequest("options is required: {fit, metadata, width, height}");
  const { fit, metadata, width, height } = value;
  if (!FITS.includes(fit as VariantFit)) throw apiErrors.badRequest(`options.fit must be one of ${FITS.join(", ")}`);
  if (!METADATA.includes(metadata as VariantMetadata)) {
    throw apiErrors.badRequest(`options.metadata must be one of ${METADATA.join(", ")}`);
  }
  return {
    fit: fit as VariantFit,
    metadata: metadata as VariantMetadata,
    width: parseSide("width", width),
    height: parseSide("height", height),
  };
}

function parseSide(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_VARIANT_SIDE) {
    throw apiErrors.badRequest(`options.${name} must be an integer from 1 to ${MAX_VARIANT_SIDE}`);
  }
  return value;
}

function parseNeverRequireSignedURLs(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw apiErrors.badRequest("neverRequireSignedURLs must be a boolean");
  return value;
}
