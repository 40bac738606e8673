import type { Context } from "../context.ts";
import { deliveryKey, signDeliveryUrl } from "../delivery.ts";
import { inputError, notFoundError } from "../errors.ts";
import type { Image, ImageVariantUrl } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { assertMayRead, loadIfReadable } from "./entry-scopes.ts";
import {
  ImageTransformInput,
  MAX_SRCSET_WIDTHS,
  parseSrcsetArgs,
  parseUrlArgs,
  srcset,
  transformedUrl,
} from "./image-transform.ts";
import { upstreamCall } from "./limits.ts";
import { sharedLookup, UPSTREAM_CALLS } from "./upstream-calls.ts";
import { VariantRef } from "./variant.ts";

export const ImageRef = builder.objectRef<Image>("Image");

/** Signing a private image's URL reads the variant (it may waive signing) and the keys. */
export const SIGNING_LOOKUPS = sharedLookup("variants", "signingKeys");

interface ImageVariantShape {
  image: Image;
  entry: ImageVariantUrl;
}

const ImageVariantRef = builder.objectRef<ImageVariantShape>("ImageVariant").implement({
  description: "One variant of an image: its name, its delivery URL and the variant's definition.",
  fields: (t) => ({
    name: t.string({ resolve: ({ entry }) => entry.name }),
    url: t.string({
      description: "Ready to use: signed with the account's signing key (default expiry) when the image requires it.",
      extensions: { [UPSTREAM_CALLS]: SIGNING_LOOKUPS },
      resolve: ({ image, entry }, _args, ctx) => deliveryUrl(image, entry, undefined, ctx),
    }),
    variant: t.field({
      type: VariantRef,
      nullable: true,
      extensions: { [UPSTREAM_CALLS]: sharedLookup("variants") },
      resolve: ({ entry }, _args, ctx) => ctx.loaders.variant(entry.name),
    }),
  }),
});

builder.node(ImageRef, {
  description: "An image stored in Cloudflare Images.",
  id: { resolve: (image) => image.id },
  isTypeOf: (value) => typeof value === "object" && value !== null && "requireSignedURLs" in value && "draft" in value,
  // One promise per id, so an id that fails fails only its own slot.
  loadManyWithoutCache: (ids, ctx) => loadIfReadable(ctx, "Image", ids, (id) => ctx.loaders.image.load(id)),
  fields: (t) => ({
    imageId: t.exposeID("id", { description: "The upstream image id (custom ids may contain `/`)." }),
    filename: t.exposeString("filename", { nullable: true }),
    creator: t.exposeString("creator", { nullable: true }),
    meta: t.expose("meta", { type: "JSON", description: "The image's metadata (never shown to end users)." }),
    requireSignedURLs: t.exposeBoolean("requireSignedURLs"),
    uploaded: t.expose("uploaded", { type: "DateTime", nullable: true }),
    draft: t.exposeBoolean("draft", { description: "True for a direct upload still waiting for its file." }),
    variants: t.field({
      type: [ImageVariantRef],
      resolve: (image) => image.variants.map((entry) => ({ image, entry })),
    }),
    url: t.string({
      description:
        "A delivery URL for one variant, signed when the image requires signed URLs and the variant does not waive it; " +
        "or, with `transform`, a flexible-variant URL (public images only). Null, with an error at this path, when " +
        "no URL that loads can be given.",
      nullable: true,
      extensions: { [UPSTREAM_CALLS]: SIGNING_LOOKUPS },
      args: {
        variant: t.arg.string({
          required: true,
          defaultValue: "public",
          description: "A named variant; leave it at `public` when giving `transform`.",
        }),
        expiresIn: t.arg.int({ description: "Seconds the signed URL stays valid (default from configuration)." }),
        transform: t.arg({ type: ImageTransformInput, description: "Flexible-variant options instead of a variant." }),
      },
      // Checked here as well, so bad arguments are refused before any resolver or upstream call.
      complexity: (args, ctx) => {
        parseUrlArgs(args, ctx.settings);
        return 1;
      },
      resolve: (image, args, ctx) => {
        const transform = parseUrlArgs(args, ctx.settings);
        if (transform) return transformedUrl(image, transform);
        const entry = image.variants.find((v) => v.name === args.variant);
        if (!entry) throw inputError(`The image has no variant named "${args.variant}".`, { argument: "variant" });
        return deliveryUrl(image, entry, args.expiresIn ?? undefined, ctx);
      },
    }),
    srcset: t.string({
      description:
        "A `srcset` of flexible-variant URLs, one per width (`<url> 320w, <url> 640w`), public images only. " +
        `Null, with an error at this path, for an image that requires signed URLs.`,
      nullable: true,
      args: {
        widths: t.arg.intList({ required: true, description: `1 to ${MAX_SRCSET_WIDTHS} distinct widths in pixels.` }),
        transform: t.arg({ type: ImageTransformInput, description: "Options for every width (without `width`)." }),
      },
      // One URL per width; checking here refuses bad arguments before any resolver runs.
      complexity: (args, ctx) => parseSrcsetArgs(args, ctx.settings).widths.length,
      resolve: (image, args, ctx) => {
        const { widths, options } = parseSrcsetArgs(args, ctx.settings);
        return srcset(image, widths, options);
      },
    }),
  }),
});

/** A public image's URL is answered at once: only a signed one waits for the variant and the key. */
export function deliveryUrl(
  image: Image,
  entry: ImageVariantUrl,
  expiresIn: number | undefined,
  ctx: Context,
): string | Promise<string> {
  const { defaultExpiresIn, maxExpiresIn } = ctx.settings.signedUrls;
  const seconds = expiresIn ?? defaultExpiresIn;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > maxExpiresIn) {
    // Rejected, as when this was all one async function: the field's error, never a synchronous throw.
    return Promise.reject(
      inputError(`\`expiresIn\` must be between 1 and ${maxExpiresIn} seconds.`, { argument: "expiresIn" }),
    );
  }
  if (!image.requireSignedURLs) return entry.url;
  return signedDeliveryUrl(entry, seconds, ctx);
}

async function signedDeliveryUrl(entry: ImageVariantUrl, seconds: number, ctx: Context): Promise<string> {
  const variant = await ctx.loaders.variant(entry.name);
  if (variant?.neverRequireSignedURLs) return entry.url;
  const keys = await ctx.loaders.signingKeys();
  const key = keys.find((k) => k.name === "default") ?? keys[0];
  if (!key) throw new Error("The account has no signing key");
  return signDeliveryUrl(entry.url, deliveryKey(key), new Date(Date.now() + seconds * 1000));
}

builder.asEntity(ImageRef, {
  key: builder.selection<{ imageId: string }>("imageId"),
  // Async, so a bad or unknown reference rejects only its own slot of `_entities`: a synchronous
  // throw would fail the whole batch. Every reference goes through the request's image loader,
  // so N representations cost at most one upstream call per distinct id.
  resolveReference: async ({ imageId }, ctx) => {
    assertMayRead(ctx, "Image");
    if (typeof imageId !== "string" || imageId === "") {
      throw inputError("An Image representation needs a non-empty `imageId` string.", {
        argument: "representations",
      });
    }
    const image = await ctx.loaders.image.load(imageId);
    if (!image) throw notFoundError(`No image with imageId "${imageId}".`, { imageId });
    return image;
  },
});

builder.queryFields((t) => ({
  image: t.field({
    type: ImageRef,
    nullable: true,
    description: "One image by its upstream id; null when it does not exist.",
    complexity: upstreamCall,
    args: { imageId: t.arg.id({ required: true }) },
    resolve: (_root, { imageId }, ctx) => ctx.loaders.image.load(String(imageId)),
  }),
}));
