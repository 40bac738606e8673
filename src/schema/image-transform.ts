import type { Context } from "../context.ts";
import { type FlexibleVariantOptions, flexibleVariantUrl } from "../delivery.ts";
import { inputError } from "../errors.ts";
import type { Image } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { VariantMetadataEnum } from "./variant.ts";

/** The upload limit of an image's longest side: no larger output is meaningful. */
export const MAX_SIDE = 12_000;
/** Enough for every breakpoint of a layout; each width is one more URL in the answer. */
export const MAX_SRCSET_WIDTHS = 20;

const ImageFitEnum = builder.enumType("ImageFit", {
  description: "How a transformed image fits `width` × `height` (Cloudflare's `fit`).",
  values: {
    SCALE_DOWN: { value: "scale-down", description: "Like CONTAIN, but never enlarges." },
    CONTAIN: { value: "contain", description: "As large as fits inside, aspect ratio kept." },
    COVER: { value: "cover", description: "Fills the area exactly, cropping as needed." },
    CROP: { value: "crop", description: "Like COVER, but never enlarges." },
    PAD: { value: "pad", description: "Like CONTAIN, padded to the exact size." },
    SQUEEZE: { value: "squeeze", description: "Stretched to the exact size, aspect ratio not kept." },
  } as const,
});

const ImageFormatEnum = builder.enumType("ImageFormat", {
  description: "The output format (Cloudflare's `format`); AUTO picks the best the browser accepts.",
  values: {
    AUTO: { value: "auto" },
    AVIF: { value: "avif" },
    WEBP: { value: "webp" },
    JPEG: { value: "jpeg" },
    BASELINE_JPEG: { value: "baseline-jpeg" },
  } as const,
});

const ImageGravityEnum = builder.enumType("ImageGravity", {
  description: "Which part of the image a crop keeps (Cloudflare's `gravity`).",
  values: {
    AUTO: { value: "auto", description: "Chosen by saliency." },
    FACE: { value: "face" },
    LEFT: { value: "left" },
    RIGHT: { value: "right" },
    TOP: { value: "top" },
    BOTTOM: { value: "bottom" },
  } as const,
});

interface TransformArg {
  width?: number | null;
  height?: number | null;
  fit?: string | null;
  gravity?: string | null;
  quality?: number | null;
  format?: string | null;
  dpr?: number | null;
  sharpen?: number | null;
  blur?: number | null;
  brightness?: number | null;
  contrast?: number | null;
  gamma?: number | null;
  saturation?: number | null;
  rotate?: number | null;
  metadata?: string | null;
  anim?: boolean | null;
}

interface Range {
  min: number;
  max: number;
  integer?: boolean;
  /** Allowed values, when the range is a short list. */
  only?: readonly number[];
}

const RANGES: Partial<Record<keyof TransformArg, Range>> = {
  width: { min: 1, max: MAX_SIDE, integer: true },
  height: { min: 1, max: MAX_SIDE, integer: true },
  quality: { min: 1, max: 100, integer: true },
  dpr: { min: 0.1, max: 10 },
  sharpen: { min: 0, max: 10 },
  blur: { min: 1, max: 250 },
  brightness: { min: 0, max: 10 },
  contrast: { min: 0, max: 10 },
  gamma: { min: 0.1, max: 10 },
  saturation: { min: 0, max: 10 },
  rotate: { min: 90, max: 270, only: [90, 180, 270] },
};

export const ImageTransformInput = builder.inputType("ImageTransformInput", {
  description:
    "Options of a flexible variant, by Cloudflare's names. The account must have flexible variants enabled; " +
    "images that require signed URLs cannot use them.",
  fields: (t) => ({
    width: t.int({ description: `Pixels, 1 to ${MAX_SIDE}.` }),
    height: t.int({ description: `Pixels, 1 to ${MAX_SIDE}.` }),
    fit: t.field({ type: ImageFitEnum }),
    gravity: t.field({ type: ImageGravityEnum }),
    quality: t.int({ description: "1 to 100." }),
    format: t.field({ type: ImageFormatEnum }),
    dpr: t.float({ description: "Device pixel ratio, 0.1 to 10: multiplies width and height." }),
    sharpen: t.float({ description: "0 to 10." }),
    blur: t.float({ description: "Radius, 1 to 250." }),
    brightness: t.float({ description: "Factor, 0 to 10; 1 leaves it unchanged." }),
    contrast: t.float({ description: "Factor, 0 to 10; 1 leaves it unchanged." }),
    gamma: t.float({ description: "Factor, 0.1 to 10; 1 leaves it unchanged." }),
    saturation: t.float({ description: "Factor, 0 to 10; 1 leaves it unchanged, 0 is greyscale." }),
    rotate: t.int({ description: "Degrees clockwise: 90, 180 or 270." }),
    metadata: t.field({ type: VariantMetadataEnum }),
    anim: t.boolean({ description: "False keeps only the first frame of an animation." }),
  }),
});

/** The options by Cloudflare's names, or BAD_USER_INPUT naming the first bad one. */
export function parseTransform(input: TransformArg, argument = "transform"): FlexibleVariantOptions {
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input) as [keyof TransformArg, unknown][]) {
    if (value === null || value === undefined) continue;
    const range = RANGES[name];
    if (range && typeof value === "number") checkRange(value, range, `${argument}.${name}`);
    options[name] = value;
  }
  if (Object.keys(options).length === 0) {
    throw inputError(`\`${argument}\` needs at least one option.`, { argument });
  }
  return options as FlexibleVariantOptions;
}

function checkRange(value: number, range: Range, argument: string): void {
  const allowed = range.only
    ? range.only.join(", ")
    : `${range.integer ? "an integer " : ""}from ${range.min} to ${range.max}`;
  const inRange = range.only ? range.only.includes(value) : value >= range.min && value <= range.max;
  if (!inRange || (range.integer && !Number.isInteger(value))) {
    throw inputError(`\`${argument}\` must be ${allowed} (got ${value}).`, { argument });
  }
}

interface UrlArgs {
  variant: string;
  expiresIn?: number | null;
  transform?: TransformArg | null;
}

/**
 * Checks `Image.url`'s arguments without looking at any image, so a mistake is refused before a
 * call (the cost limit runs this before any resolver). Undefined when no transform was asked for.
 */
export function parseUrlArgs(args: UrlArgs, config: Context["settings"]): FlexibleVariantOptions | undefined {
  if (!args.transform) return undefined;
  if (args.variant !== "public") {
    throw inputError("Give either a named `variant` or a `transform`, not both: a transform replaces the variant.", {
      argument: "transform",
    });
  }
  if (args.expiresIn !== null && args.expiresIn !== undefined) {
    throw inputError("`expiresIn` applies to signed URLs only, and URLs with a `transform` are never signed.", {
      argument: "expiresIn",
    });
  }
  return checkEnabled(parseTransform(args.transform), config);
}

interface SrcsetArgs {
  widths: readonly number[];
  transform?: TransformArg | null;
}

/** `widths` ascending and the common options, or BAD_USER_INPUT; no image is needed to tell. */
export function parseSrcsetArgs(
  args: SrcsetArgs,
  config: Context["settings"],
): { widths: number[]; options: Omit<FlexibleVariantOptions, "width"> } {
  const { widths } = args;
  if (widths.length === 0 || widths.length > MAX_SRCSET_WIDTHS) {
    throw inputError(`\`widths\` must hold 1 to ${MAX_SRCSET_WIDTHS} widths (got ${widths.length}).`, {
      argument: "widths",
    });
  }
  for (const width of widths) checkRange(width, RANGES.width as Range, "widths");
  if (new Set(widths).size !== widths.length) {
    throw inputError("`widths` must not repeat a width: a srcset names each width once.", { argument: "widths" });
  }
  let options: FlexibleVariantOptions = {};
  if (args.transform) {
    if (args.transform.width !== null && args.transform.width !== undefined) {
      throw inputError("`transform.width` is set by `widths` in a srcset; leave it out.", {
        argument: "transform.width",
      });
    }
    const { width: _width, ...rest } = args.transform;
    if (Object.values(rest).some((value) => value !== null && value !== undefined)) options = parseTransform(rest);
  }
  return { widths: [...widths].sort((a, b) => a - b), options: checkEnabled(options, config) };
}

function checkEnabled<T>(options: T, config: Context["settings"]): T {
  if (!config.flexibleVariants) {
    throw inputError(
      "Flexible variants are turned off on this server (FLEXIBLE_VARIANTS=false): use a named variant.",
      { argument: "transform", reason: "FLEXIBLE_VARIANTS_OFF" },
    );
  }
  return options;
}

/** Cloudflare serves flexible variants of public images only; a URL it would refuse is never given. */
export function transformedUrl(image: Image, options: FlexibleVariantOptions): string {
  if (image.requireSignedURLs) {
    throw inputError(
      `Image "${image.id}" requires signed URLs, and Cloudflare serves flexible variants only for public images: ` +
        "use a named variant for it.",
      { argument: "transform", reason: "SIGNED_URLS_REQUIRED", imageId: image.id },
    );
  }
  const base = image.variants.find((v) => v.name === "public") ?? image.variants[0];
  if (!base) throw inputError(`Image "${image.id}" has no delivery URL yet.`, { imageId: image.id });
  return flexibleVariantUrl(base.url, options);
}

export function srcset(image: Image, widths: readonly number[], options: FlexibleVariantOptions): string {
  return widths.map((width) => `${transformedUrl(image, { ...options, width })} ${width}w`).join(", ");
}
