import type { Context } from "../context.ts";
import type { FlexibleVariantOptions } from "../delivery.ts";
import { inputError } from "../errors.ts";
import { aspectRatioOf, type ImageFacts, type Placeholder } from "../facts/index.ts";
import type { Image, Variant } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { deliveryUrl, ImageRef, SIGNING_LOOKUPS } from "./image.ts";
import { ImagePlaceholderRef } from "./image-facts.ts";
import { ImageTransformInput, MAX_SRCSET_WIDTHS, parseSrcsetArgs, transformedUrl } from "./image-transform.ts";
import { UPSTREAM_CALLS } from "./upstream-calls.ts";

interface ResponsiveImage {
  src: string;
  srcSet: string;
  sizes: string;
  width: number | null;
  height: number | null;
  aspectRatio: number | null;
  placeholder: Placeholder | null;
}

/** Widths a layout commonly needs, from phones to wide 2x screens. */
const DEFAULT_WIDTHS = [320, 640, 960, 1280, 1920, 2560];

const ResponsiveImageRef = builder.objectRef<ResponsiveImage>("ResponsiveImage").implement({
  description:
    "Everything an `<img>` (or a framework's image component) needs: `<img src srcset sizes width height>` " +
    "with the placeholder shown until it loads.",
  fields: (t) => ({
    src: t.exposeString("src", { description: "The largest candidate's URL (signed when the image requires it)." }),
    srcSet: t.exposeString("srcSet", { description: "`<url> <width>w` candidates, ascending." }),
    sizes: t.exposeString("sizes"),
    width: t.exposeInt("width", {
      nullable: true,
      description: "Pixels across of `src`; null until the facts are known.",
    }),
    height: t.exposeInt("height", {
      nullable: true,
      description: "Pixels down of `src`; null until the facts are known.",
    }),
    aspectRatio: t.exposeFloat("aspectRatio", { nullable: true, description: "width / height as displayed." }),
    placeholder: t.field({ type: ImagePlaceholderRef, nullable: true, resolve: (r) => r.placeholder }),
  }),
});

interface Candidate {
  url: string | Promise<string>;
  width: number;
  height: number | null;
}

builder.objectField(ImageRef, "responsiveImage", (t) =>
  t.field({
    type: ResponsiveImageRef,
    nullable: true,
    description:
      "A ready `<img>`: public images get flexible-variant URLs at `widths` (never wider than the image); " +
      "images that require signed URLs get the account's named variants that keep the aspect ratio " +
      "(fit scale-down or contain), each URL signed. Null, with an error at this path, when no URL that loads can be given.",
    extensions: { [UPSTREAM_CALLS]: SIGNING_LOOKUPS },
    args: {
      widths: t.arg.intList({
        description: `1 to ${MAX_SRCSET_WIDTHS} widths in pixels (default ${DEFAULT_WIDTHS.join(", ")}).`,
      }),
      sizes: t.arg.string({
        description: "The `sizes` attribute; by default the image's width, or less on a narrower screen.",
      }),
      transform: t.arg({ type: ImageTransformInput, description: "Options for every width (public images only)." }),
    },
    // The widths are checked before any resolver runs; the transform needs the image (public or not).
    complexity: (args) => checkedWidths(args.widths).length,
    resolve: async (image, args, ctx) => {
      const facts = await readyFacts(image, ctx);
      if (image.requireSignedURLs || !ctx.settings.flexibleVariants) {
        const candidates = await namedVariantCandidates(image, args, facts, ctx);
        return answer(candidates, args.sizes, facts && aspectRatioOf(facts), facts?.placeholder);
      }
      const { candidates, ratio } = flexibleCandidates(image, args, facts, ctx);
      return answer(candidates, args.sizes, ratio, facts?.placeholder);
    },
  }),
);

type Args = {
  widths?: readonly number[] | null;
  sizes?: string | null;
  transform?: Parameters<typeof parseSrcsetArgs>[0]["transform"];
};

/** Widths alone, valid whether or not flexible variants are on (named variants are picked by width too). */
function checkedWidths(widths: readonly number[] | null | undefined): number[] {
  return parseSrcsetArgs({ widths: widths ?? DEFAULT_WIDTHS }, { flexibleVariants: true } as Context["settings"])
    .widths;
}

function checkedArgs(args: Args, ctx: Context): { widths: number[]; options: Omit<FlexibleVariantOptions, "width"> } {
  const parsed = parseSrcsetArgs({ widths: args.widths ?? DEFAULT_WIDTHS, transform: args.transform }, ctx.settings);
  if (parsed.options.height !== undefined) {
    throw inputError("`transform.height` does not fit a responsive image, which scales by width: leave it out.", {
      argument: "transform.height",
    });
  }
  return parsed;
}

async function readyFacts(image: Image, ctx: Context): Promise<ImageFacts | undefined> {
  const record = await ctx.facts?.load(image);
  return record?.status === "READY" ? record.facts : undefined;
}

/** Public images: one flexible-variant URL per width, none wider than the image itself. */
function flexibleCandidates(
  image: Image,
  args: Args,
  facts: ImageFacts | undefined,
  ctx: Context,
): { candidates: Candidate[]; ratio: number | undefined } {
  const { widths, options } = checkedArgs(args, ctx);
  const turned = options.rotate === 90 || options.rotate === 270;
  const ratio = facts ? aspectRatioOf(facts) ** (turned ? -1 : 1) : undefined;
  const intrinsic = facts ? (turned ? facts.height : facts.width) : undefined;
  const fitting = intrinsic === undefined ? widths : widths.filter((w) => w <= intrinsic);
  const chosen = fitting.length > 0 ? fitting : [intrinsic as number];
  const candidates = chosen.map((width) => ({
    url: transformedUrl(image, { ...options, width }),
    width,
    height: ratio ? Math.round(width / ratio) : null,
  }));
  return { candidates, ratio };
}

/**
 * Images that require signed URLs (and every image when flexible variants are off): the named
 * variants whose definitions keep the aspect ratio, at the size each gives this image.
 */
async function namedVariantCandidates(
  image: Image,
  args: Args,
  facts: ImageFacts | undefined,
  ctx: Context,
): Promise<Candidate[]> {
  if (args.transform) {
    // Refused as `url(transform)` refuses it: signed images cannot, and a server without flexible variants does not.
    transformedUrl(image, {});
    checkedArgs(args, ctx);
  }
  const definitions = new Map((await ctx.loaders.variants()).map((v) => [v.id, v]));
  const sized = image.variants
    .map((entry) => ({ entry, size: renditionSize(definitions.get(entry.name), facts) }))
    .filter(
      (c): c is { entry: (typeof c)["entry"]; size: { width: number; height: number | null } } => c.size !== undefined,
    )
    .sort((a, b) => a.size.width - b.size.width);
  const distinct = sized.filter((c, i) => i === 0 || c.size.width !== sized[i - 1]?.size.width);
  const wanted = args.widths ? pickForWidths(distinct, args.widths) : distinct;
  if (wanted.length === 0) {
    throw inputError(
      `Image "${image.id}" has no named variant that keeps its aspect ratio (fit scale-down or contain) to build a srcset from.`,
      { imageId: image.id, reason: "NO_RESPONSIVE_VARIANT" },
    );
  }
  return wanted.map(({ entry, size }) => ({ url: deliveryUrl(image, entry, undefined, ctx), ...size }));
}

/** For each asked width, the smallest variant at least that wide (or the widest there is). */
function pickForWidths<T extends { size: { width: number } }>(sorted: readonly T[], widths: readonly number[]): T[] {
  const picked = new Set<T>();
  for (const width of widths) {
    const match = sorted.find((c) => c.size.width >= width) ?? sorted[sorted.length - 1];
    if (match) picked.add(match);
  }
  return sorted.filter((c) => picked.has(c));
}

/** What a variant makes of this image; undefined when it changes the aspect ratio (cover, crop, pad). */
function renditionSize(
  variant: Variant | undefined,
  facts: ImageFacts | undefined,
): { width: number; height: number | null } | undefined {
  if (!variant) return undefined;
  const { fit, width, height } = variant.options;
  if (fit !== "scale-down" && fit !== "contain") return undefined;
  if (!facts) return { width, height: null };
  const scale = Math.min(
    width / facts.width,
    height / facts.height,
    fit === "scale-down" ? 1 : Number.POSITIVE_INFINITY,
  );
  return { width: Math.max(1, Math.round(facts.width * scale)), height: Math.max(1, Math.round(facts.height * scale)) };
}

async function answer(
  candidates: Candidate[],
  sizes: string | null | undefined,
  ratio: number | undefined,
  placeholder: Placeholder | undefined,
): Promise<ResponsiveImage> {
  const urls = await Promise.all(candidates.map((c) => c.url));
  const largest = candidates[candidates.length - 1] as Candidate;
  return {
    src: urls[urls.length - 1] as string,
    srcSet: candidates.map((c, i) => `${urls[i]} ${c.width}w`).join(", "),
    sizes: sizes ?? `(max-width: ${largest.width}px) 100vw, ${largest.width}px`,
    width: largest.height === null ? null : largest.width,
    height: largest.height,
    aspectRatio: ratio ?? null,
    placeholder: placeholder ?? null,
  };
}
