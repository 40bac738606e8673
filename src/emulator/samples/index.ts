/**
 * Real, decodable sample images made in code (nothing downloaded): a seaside scene whose colours
 * and layout follow `seed`, so the same arguments always give the same bytes. Used by the seed
 * data, the tests and the benchmark. AVIF and HEIC only exist as header-only files (no encoder).
 */

import type { ImageFormat } from "../state.ts";
import { encodeGif } from "./gif.ts";
import { encodeJpeg } from "./jpeg.ts";
import { encodePng, pngChunk } from "./png.ts";
import type { RgbImage } from "./raster.ts";
import { paintScene, sceneFor } from "./scene.ts";
import { sceneSvg } from "./svg.ts";
import { encodeWebp } from "./webp.ts";

export { headerOnlyImage, pngHeaderOnly } from "./headers.ts";

export type SampleFormat = Exclude<ImageFormat, "avif" | "heic">;

/** Largest side per encoder: VP8L stores 14 bits per side, GIF and JPEG 16; PNG and SVG are capped against runaway allocations. */
const MAX_SIDE: Record<SampleFormat, number> = { png: 20_000, gif: 65_535, jpeg: 65_535, webp: 16_384, svg: 100_000 };

export function samplePng(width: number, height: number, seed = 1): Uint8Array<ArrayBuffer> {
  return encodePng(painted("png", width, height, seed));
}

export function sampleGif(width: number, height: number, seed = 1): Uint8Array<ArrayBuffer> {
  return encodeGif(painted("gif", width, height, seed));
}

export function sampleJpeg(width: number, height: number, seed = 1): Uint8Array<ArrayBuffer> {
  return encodeJpeg(painted("jpeg", width, height, seed));
}

export function sampleWebp(width: number, height: number, seed = 1): Uint8Array<ArrayBuffer> {
  return encodeWebp(painted("webp", width, height, seed));
}

export function sampleSvg(width: number, height: number, seed = 1): Uint8Array<ArrayBuffer> {
  checkSize("svg", width, height);
  return new TextEncoder().encode(sceneSvg(width, height, sceneFor(seed)));
}

const SAMPLERS: Record<SampleFormat, (width: number, height: number, seed?: number) => Uint8Array<ArrayBuffer>> = {
  png: samplePng,
  gif: sampleGif,
  jpeg: sampleJpeg,
  webp: sampleWebp,
  svg: sampleSvg,
};

export function sampleImage(format: SampleFormat, width: number, height: number, seed = 1): Uint8Array<ArrayBuffer> {
  return SAMPLERS[format](width, height, seed);
}

/**
 * A valid 16x16 PNG grown to exactly `totalBytes` with a private ancillary chunk (`paDd`, which
 * decoders skip), for testing size limits to the byte.
 */
export function paddedPng(totalBytes: number, seed = 1): Uint8Array<ArrayBuffer> {
  const base = samplePng(16, 16, seed);
  const iend = base.subarray(base.length - 12);
  const paddingLength = totalBytes - base.length - 12;
  if (!Number.isInteger(totalBytes) || paddingLength < 0) {
    throw new RangeError(`paddedPng: at least ${base.length + 12} bytes are needed, got ${totalBytes}`);
  }
  const padded = new Uint8Array(totalBytes);
  padded.set(base.subarray(0, base.length - 12));
  padded.set(pngChunk("paDd", new Uint8Array(paddingLength)), base.length - 12);
  padded.set(iend, totalBytes - 12);
  return padded;
}

function painted(format: SampleFormat, width: number, height: number, seed: number): RgbImage {
  checkSize(format, width, height);
  return paintScene(width, height, sceneFor(seed));
}

function checkSize(format: SampleFormat, width: number, height: number): void {
  const valid = (side: number) => Number.isInteger(side) && side >= 1 && side <= MAX_SIDE[format];
  if (!valid(width) || !valid(height)) {
    throw new RangeError(`sample ${format}: ${width}x${height} is not a size this encoder can write`);
  }
}
