import { crc32, deflateSync } from "node:zlib";
import { ascii, concatBytes, u32be } from "./bytes.ts";
import type { RgbImage } from "./raster.ts";

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** Length, type, data and the CRC of type + data, as every PNG chunk is laid out. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array<ArrayBuffer> {
  const typeAndData = concatBytes([ascii(type), data]);
  return concatBytes([u32be(data.length), typeAndData, u32be(crc32(typeAndData))]);
}

/** IHDR of an 8-bit truecolour (RGB), non-interlaced image. */
export function rgbHeaderChunk(width: number, height: number): Uint8Array<ArrayBuffer> {
  return pngChunk("IHDR", concatBytes([u32be(width), u32be(height), [8, 2, 0, 0, 0]]));
}

export function encodePng(image: RgbImage): Uint8Array<ArrayBuffer> {
  const { width, height, rgb } = image;
  const rowBytes = width * 3;
  // Every row starts with its filter type; 0 (none) keeps the encoder trivial and deflate does the rest.
  const filtered = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    filtered.set(rgb.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  }
  return concatBytes([
    PNG_SIGNATURE,
    rgbHeaderChunk(width, height),
    pngChunk("IDAT", deflateSync(filtered)),
    pngChunk("IEND", new Uint8Array(0)),
  ]);
}
