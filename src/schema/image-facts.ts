import type { Context } from "../context.ts";
import { aspectRatioOf, type FactsRecord, type ImageFacts, type Placeholder, SOURCE_FORMATS } from "../facts/index.ts";
import type { Image } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { ImageRef } from "./image.ts";

export const ImageSourceFormatEnum = builder.enumType("ImageSourceFormat", {
  description: "The format of the stored file, judged by its bytes.",
  values: SOURCE_FORMATS,
});

const ImageFactsStatusEnum = builder.enumType("ImageFactsStatus", {
  description: "Whether an image's facts (width, height, placeholder…) are known.",
  values: {
    READY: { description: "Computed: the fields hold them." },
    PENDING: {
      description:
        "Not known yet: they are being computed in the background and `imageChanged` tells when they are " +
        "(also the answer on a server with `FACTS=off`).",
    },
    FAILED: {
      description: "The file could not be read as an image: `factsError` says why. The image is still served.",
    },
  } as const,
});

export const ImagePlaceholderRef = builder.objectRef<Placeholder>("ImagePlaceholder").implement({
  description: "What to show while the image loads.",
  fields: (t) => ({
    thumbhash: t.exposeString("thumbhash", { description: "A ThumbHash of the image, base64." }),
    dataURL: t.exposeString("dataURL", {
      description: "A tiny PNG drawn from the thumbhash, as a data URL: Next.js `blurDataURL`, or a CSS background.",
    }),
    dominantColor: t.exposeString("dominantColor", { description: "The average colour, `#rrggbb`." }),
  }),
});

type FactsField = Exclude<keyof ImageFacts, "placeholder">;

function factsOf(image: Image, ctx: Context): Promise<FactsRecord | undefined> {
  return ctx.facts?.load(image) ?? Promise.resolve(undefined);
}

async function ready(image: Image, ctx: Context): Promise<ImageFacts | undefined> {
  const record = await factsOf(image, ctx);
  return record?.status === "READY" ? record.facts : undefined;
}

function fact<K extends FactsField>(field: K) {
  return async (image: Image, _args: unknown, ctx: Context): Promise<ImageFacts[K] | null> =>
    (await ready(image, ctx))?.[field] ?? null;
}

builder.objectFields(ImageRef, (t) => ({
  width: t.int({
    nullable: true,
    description: "Pixels across, as displayed (EXIF rotation applied).",
    resolve: fact("width"),
  }),
  height: t.int({
    nullable: true,
    description: "Pixels down, as displayed; one frame of an animation.",
    resolve: fact("height"),
  }),
  aspectRatio: t.float({
    nullable: true,
    description: "width / height as displayed: what a page reserves before the image loads.",
    resolve: async (image, _args, ctx) => {
      const facts = await ready(image, ctx);
      return facts ? aspectRatioOf(facts) : null;
    },
  }),
  byteSize: t.int({
    nullable: true,
    description: "Bytes of the stored file (known for a FAILED file too).",
    resolve: async (image, _args, ctx) => {
      const record = await factsOf(image, ctx);
      return (record?.status === "READY" ? record.facts.byteSize : record?.byteSize) ?? null;
    },
  }),
  sourceFormat: t.field({ type: ImageSourceFormatEnum, nullable: true, resolve: fact("sourceFormat") }),
  animated: t.boolean({ nullable: true, description: "More than one frame (GIF, WebP).", resolve: fact("animated") }),
  hasAlpha: t.boolean({ nullable: true, description: "The file has an alpha channel.", resolve: fact("hasAlpha") }),
  contentHash: t.string({
    nullable: true,
    description: "SHA-256 of the stored bytes, lowercase hex (known for a FAILED file too).",
    resolve: async (image, _args, ctx) => {
      const record = await factsOf(image, ctx);
      return (record?.status === "READY" ? record.facts.contentHash : record?.contentHash) ?? null;
    },
  }),
  placeholder: t.field({
    type: ImagePlaceholderRef,
    nullable: true,
    description:
      "Null until the facts are ready; null too for HEIC (no decoder for its pixels here) and for GIF or AVIF " +
      "frames over FACTS_MAX_FULL_DECODE_PIXELS (decoded whole, so left out to bound memory).",
    resolve: async (image, _args, ctx) => (await ready(image, ctx))?.placeholder ?? null,
  }),
  factsStatus: t.field({
    type: ImageFactsStatusEnum,
    description: "Whether the facts fields above are known. Reading an image never waits for them.",
    resolve: async (image, _args, ctx) => (await factsOf(image, ctx))?.status ?? "PENDING",
  }),
  factsError: t.string({
    nullable: true,
    description: "Why the facts could not be had, when `factsStatus` is FAILED.",
    resolve: async (image, _args, ctx) => {
      const record = await factsOf(image, ctx);
      return record?.status === "FAILED" ? record.reason : null;
    },
  }),
}));
