/**
 * Image format detection by content, never by file name or declared type: the first bytes decide
 * the format, and the header gives the pixel size. Anything unrecognised, truncated or inconsistent
 * is `undefined`; this never throws, whatever the input.
 */
import { crc32 } from "node:zlib";
import type { ImageFormat } from "../state.ts";
import { heifImage } from "./heif.ts";
import { ascii, be16, be32, le16, le24, le32 } from "./read.ts";
import { svgSize } from "./svg.ts";

export interface DetectedImage {
  format: ImageFormat;
  contentType: string;
  width: number;
  height: number;
}

type Found = Omit<DetectedImage, "contentType">;

export const CONTENT_TYPES: Record<ImageFormat, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  avif: "image/avif",
  heic: "image/heic",
};

const PNG_SIGNATURE = "\x89PNG\r\n\x1a\n";
/** Largest side a PNG header may state (2^31 - 1). */
const PNG_MAX_SIDE = 0x7fff_ffff;

const DETECTORS: ((bytes: Uint8Array) => Found | undefined)[] = [png, jpeg, gif, webp, heifImage, svg];

export function detectImage(bytes: Uint8Array): DetectedImage | undefined {
  for (const detect of DETECTORS) {
    const found = detect(bytes);
    if (found && found.width >= 1 && found.height >= 1) return { ...found, contentType: CONTENT_TYPES[found.format] };
  }
  return undefined;
}

/** IHDR must be the first chunk; its CRC is checked so a damaged header is not trusted. */
function png(bytes: Uint8Array): Found | undefined {
  if (ascii(bytes, 0, 8) !== PNG_SIGNATURE || bytes.length < 33) return undefined;
  if (be32(bytes, 8) !== 13 || ascii(bytes, 12, 4) !== "IHDR") return undefined;
  if (crc32(bytes.subarray(12, 29)) !== be32(bytes, 29)) return undefined;
  const width = be32(bytes, 16);
  const height = be32(bytes, 20);
  if (width > PNG_MAX_SIDE || height > PNG_MAX_SIDE) return undefined;
  return { format: "png", width, height };
}

/** Walks the marker segments to the first frame header (SOF0..SOF15 except DHT, JPG and DAC). */
function jpeg(bytes: Uint8Array): Found | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) return undefined;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte before a marker
    } else if (marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // TEM, SOI and RSTn stand alone, without a length
    } else if (marker === 0xd9 || marker === 0xda) {
      return undefined; // end of image or start of scan before any frame header
    } else if (isFrameHeader(marker)) {
      if (at + 9 > bytes.length || be16(bytes, at + 2) < 8) return undefined;
      return { format: "jpeg", width: be16(bytes, at + 7), height: be16(bytes, at + 5) };
    } else {
      const length = be16(bytes, at + 2);
      if (length < 2) return undefined;
      at += 2 + length;
    }
  }
  return undefined;
}

function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** The logical screen size follows the 6-byte signature. */
function gif(bytes: Uint8Array): Found | undefined {
  const signature = ascii(bytes, 0, 6);
  if ((signature !== "GIF87a" && signature !== "GIF89a") || bytes.length < 10) return undefined;
  return { format: "gif", width: le16(bytes, 6), height: le16(bytes, 8) };
}

/** RIFF container; the first chunk is the lossy (VP8), lossless (VP8L) or extended (VP8X) header. */
function webp(bytes: Uint8Array): Found | undefined {
  if (ascii(bytes, 0, 4) !== "RIFF" || ascii(bytes, 8, 4) !== "WEBP") return undefined;
  const chunk = ascii(bytes, 12, 4);
  const data = 20;
  if (chunk === "VP8 " && bytes.length >= data + 10) {
    // A key frame (bit 0 clear) starts with 9D 01 2A, then 14-bit sizes (2 bits of scaling each).
    const keyFrame = ((bytes[data] ?? 1) & 1) === 0;
    if (!keyFrame || bytes[data + 3] !== 0x9d || bytes[data + 4] !== 0x01 || bytes[data + 5] !== 0x2a) return undefined;
    return { format: "webp", width: le16(bytes, data + 6) & 0x3fff, height: le16(bytes, data + 8) & 0x3fff };
  }
  if (chunk === "VP8L" && bytes.length >= data + 5) {
    // Signature 0x2F, then width - 1 and height - 1 in 14 bits each, alpha hint, 3-bit version 0.
    const bits = le32(bytes, data + 1);
    if (bytes[data] !== 0x2f || bits >>> 29 !== 0) return undefined;
    return { format: "webp", width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === "VP8X" && bytes.length >= data + 10) {
    // Flags and reserved bytes, then canvas width - 1 and height - 1 in 24 bits each.
    return { format: "webp", width: le24(bytes, data + 4) + 1, height: le24(bytes, data + 7) + 1 };
  }
  return undefined;
}

function svg(bytes: Uint8Array): Found | undefined {
  const size = svgSize(bytes);
  return size && { format: "svg", ...size };
}
