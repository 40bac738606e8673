import type { Sharp, SharpOptions } from "sharp";
import { rgbaToThumbHash, thumbHashToRGBA } from "thumbhash";
import type { DecodeLimits } from "../config/facts.ts";
import type { FactsRecord, ImageFacts, Placeholder, SourceFormat } from "./facts.ts";
import { heifExtent } from "./heif-boxes.ts";
import { sniffFormat } from "./sniff.ts";
import { SvgSizeError, svgSize } from "./svg-size.ts";

export type { DecodeLimits };

/** ThumbHash encodes at most 100 × 100 pixels; a smaller input gives the same hash for a fraction of the work. */
const THUMB_SIDE = 32;
/**
 * The data URL's PNG: the thumbhash drawn, then scaled to this many pixels across (a browser
 * blurs it to any size). About 0.4 kB, where thumbhash's own 32-pixel uncompressed PNG is 4 kB.
 */
const DATA_URL_SIDE = 16;

type SharpFactory = (input: Buffer, options?: SharpOptions) => Sharp;
let loaded: Promise<SharpFactory> | undefined;

/** libvips is loaded by the first decode: a server that computes no facts never pays its ~30 MB. */
function loadSharp(): Promise<SharpFactory> {
  loaded ??= import("sharp").then(({ default: sharp }) => {
    // One libvips thread per decode and no operation cache: the queue bounds how many run at once,
    // and a cache would keep decoded pixels of images that are never seen again.
    sharp.concurrency(1);
    sharp.cache(false);
    return (input, options) => sharp(input, options);
  });
  return loaded;
}

const SHARP_FORMATS: Partial<Record<SourceFormat, string>> = {
  JPEG: "jpeg",
  PNG: "png",
  GIF: "gif",
  WEBP: "webp",
  AVIF: "heif",
};

/**
 * Decoders that scale while they decode (JPEG by 1/2 to 1/8, WebP) or stream rows (PNG) keep a
 * large file's decode small; GIF and AVIF frames are decoded whole (measured: a 100-megapixel GIF
 * took 430 MB, a 64-megapixel AVIF 1.1 GB), so they are drawn only up to `maxFullDecodePixels`.
 */
const DECODED_WHOLE: ReadonlySet<SourceFormat> = new Set(["GIF", "AVIF"]);

class FactsFailure extends Error {}

/**
 * The facts of one stored file. Never throws and never decodes more than `limits` allow: a file
 * that cannot be read gives a FAILED record with the reason.
 */
export async function computeFacts(bytes: Buffer, contentHash: string, limits: DecodeLimits): Promise<FactsRecord> {
  const byteSize = bytes.byteLength;
  try {
    if (byteSize > limits.maxBytes)
      throw new FactsFailure(`The file has ${byteSize} bytes, more than ${limits.maxBytes}.`);
    const format = sniffFormat(bytes);
    if (!format) throw new FactsFailure("The bytes are not a JPEG, PNG, GIF, WebP, AVIF, HEIC or SVG image.");
    const facts = await factsOf(format, bytes, limits);
    return { status: "READY", facts: { ...facts, byteSize, contentHash, sourceFormat: format } };
  } catch (error) {
    return { status: "FAILED", reason: reasonOf(error), byteSize, contentHash };
  }
}

type Measured = Omit<ImageFacts, "byteSize" | "contentHash" | "sourceFormat">;

function factsOf(format: SourceFormat, bytes: Buffer, limits: DecodeLimits): Promise<Measured> {
  if (format === "SVG") return svgFacts(bytes, limits);
  if (format === "HEIC") return heicFacts(bytes, limits);
  return rasterFacts(format, bytes, limits);
}

async function rasterFacts(format: SourceFormat, bytes: Buffer, limits: DecodeLimits): Promise<Measured> {
  const sharp = await loadSharp();
  // The header only: a file claiming too many pixels is refused before any is decoded.
  const meta = await sharp(bytes, { limitInputPixels: false, pages: -1 }).metadata();
  if (meta.format !== SHARP_FORMATS[format]) {
    throw new FactsFailure(`The file starts like ${format} but its decoder reads it as ${meta.format ?? "nothing"}.`);
  }
  const pages = meta.pages ?? 1;
  const frameHeight = meta.pageHeight ?? meta.height;
  const { width } = meta;
  if (!width || !frameHeight) throw new FactsFailure("The file does not say its size.");
  checkSize(width, frameHeight * pages, limits);
  const turned = (meta.orientation ?? 1) >= 5;
  const drawable = !DECODED_WHOLE.has(format) || width * frameHeight <= limits.maxFullDecodePixels;
  return {
    width: turned ? frameHeight : width,
    height: turned ? width : frameHeight,
    animated: pages > 1,
    hasAlpha: meta.hasAlpha === true,
    placeholder: drawable
      ? await placeholderOf(
          sharp(bytes, { limitInputPixels: limits.maxPixels, sequentialRead: true, failOn: "truncated" }).rotate(),
          limits,
        )
      : undefined,
  };
}

async function svgFacts(bytes: Buffer, limits: DecodeLimits): Promise<Measured> {
  const size = svgSize(bytes);
  let placeholder: Placeholder | undefined;
  try {
    // Rendered at a density that makes it about THUMB_SIDE pixels across, however large it claims to be.
    const density = Math.max(1, Math.min(72, (72 * THUMB_SIDE * 2) / Math.max(size.width, size.height)));
    const sharp = await loadSharp();
    placeholder = await placeholderOf(sharp(bytes, { density, limitInputPixels: limits.maxPixels }), limits);
  } catch {
    // An SVG librsvg cannot draw still has its size; it is served sanitised, never resized.
    placeholder = undefined;
  }
  return { ...size, animated: false, hasAlpha: true, placeholder };
}

async function heicFacts(bytes: Buffer, limits: DecodeLimits): Promise<Measured> {
  const extent = heifExtent(bytes);
  if (!extent) throw new FactsFailure("The HEIC file has no image extent (ispe) for its primary image.");
  checkSize(extent.width, extent.height, limits);
  return { width: extent.width, height: extent.height, animated: false, hasAlpha: false, placeholder: undefined };
}

function checkSize(width: number, height: number, limits: DecodeLimits): void {
  if (width > limits.maxSide || height > limits.maxSide || width * height > limits.maxPixels) {
    throw new FactsFailure(
      `The file claims ${width} × ${height} pixels, over the limits (${limits.maxSide} px a side, ` +
        `${limits.maxPixels / 1_000_000} megapixels): it is not decoded.`,
    );
  }
}

/** A downscale decoded straight from the file (JPEG and WebP shrink on load), then hashed and averaged. */
async function placeholderOf(pipeline: Sharp, limits: DecodeLimits): Promise<Placeholder> {
  const sharp = await loadSharp();
  const { data, info } = await pipeline
    .resize(THUMB_SIDE, THUMB_SIDE, { fit: "inside" })
    .ensureAlpha()
    .raw()
    .timeout({ seconds: limits.timeoutSeconds })
    .toBuffer({ resolveWithObject: true });
  const hash = rgbaToThumbHash(info.width, info.height, data);
  const drawn = thumbHashToRGBA(hash);
  const png = await sharp(Buffer.from(drawn.rgba), { raw: { width: drawn.w, height: drawn.h, channels: 4 } })
    .resize(DATA_URL_SIDE, DATA_URL_SIDE, { fit: "inside" })
    .png({ compressionLevel: 9, adaptiveFiltering: true })
    .toBuffer();
  return {
    thumbhash: Buffer.from(hash).toString("base64"),
    dataURL: `data:image/png;base64,${png.toString("base64")}`,
    dominantColor: averageColour(data),
  };
}

/** The mean colour of the visible pixels (weighted by alpha), `#rrggbb`. */
export function averageColour(rgba: Uint8Array): string {
  let r = 0;
  let g = 0;
  let b = 0;
  let weight = 0;
  for (let i = 0; i + 3 < rgba.length; i += 4) {
    const a = rgba[i + 3] ?? 0;
    r += (rgba[i] ?? 0) * a;
    g += (rgba[i + 1] ?? 0) * a;
    b += (rgba[i + 2] ?? 0) * a;
    weight += a;
  }
  if (weight === 0) return "#000000";
  const hex = (sum: number) =>
    Math.round(sum / weight)
      .toString(16)
      .padStart(2, "0");
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}

function reasonOf(error: unknown): string {
  if (error instanceof FactsFailure || error instanceof SvgSizeError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  // libvips' messages name the codec and the fault ("VipsJpeg: Premature end of input file").
  const first = message.split("\n")[0]?.slice(0, 200) ?? "";
  return `The file could not be decoded: ${first}`;
}
