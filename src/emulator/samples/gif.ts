import { ascii, ByteSink, concatBytes, u16le } from "./bytes.ts";
import type { RgbImage } from "./raster.ts";

const MIN_CODE_SIZE = 8;
const CLEAR_CODE = 1 << MIN_CODE_SIZE;
const END_CODE = CLEAR_CODE + 1;
const MAX_CODE = 4095;
// 4x4 Bayer matrix: ordered dithering hides the banding of a 256-colour palette on gradients.
const BAYER = [0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5];

/** A single-frame GIF89a with a fixed 3-3-2 RGB palette (8 reds, 8 greens, 4 blues). */
export function encodeGif(image: RgbImage): Uint8Array<ArrayBuffer> {
  const { width, height } = image;
  return concatBytes([
    ascii("GIF89a"),
    u16le(width),
    u16le(height),
    // Global colour table present, 8 bits of colour resolution, 2^(7+1) entries; background 0, no aspect.
    [0xf7, 0, 0],
    palette332(),
    [0x2c, ...u16le(0), ...u16le(0), ...u16le(width), ...u16le(height), 0],
    [MIN_CODE_SIZE],
    subBlocks(lzwEncode(quantise(image))),
    [0x00, 0x3b],
  ]);
}

function palette332(): Uint8Array<ArrayBuffer> {
  const table = new Uint8Array(256 * 3);
  for (let index = 0; index < 256; index++) {
    table[index * 3] = Math.round((((index >> 5) & 7) * 255) / 7);
    table[index * 3 + 1] = Math.round((((index >> 2) & 7) * 255) / 7);
    table[index * 3 + 2] = Math.round(((index & 3) * 255) / 3);
  }
  return table;
}

function quantise({ width, height, rgb }: RgbImage): Uint8Array<ArrayBuffer> {
  const indices = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const pixel = y * width + x;
      const threshold = ((BAYER[(y & 3) * 4 + (x & 3)] ?? 0) + 0.5) / 16;
      const red = level(rgb[pixel * 3] ?? 0, 8, threshold);
      const green = level(rgb[pixel * 3 + 1] ?? 0, 8, threshold);
      const blue = level(rgb[pixel * 3 + 2] ?? 0, 4, threshold);
      indices[pixel] = (red << 5) | (green << 2) | blue;
    }
  }
  return indices;
}

/** Which of `levels` evenly spaced steps `value` (0..255) dithers to. */
function level(value: number, levels: number, threshold: number): number {
  return Math.min(levels - 1, Math.floor((value / 255) * (levels - 1) + threshold));
}

/** GIF's variable-width LZW: codes grow from 9 to 12 bits, a clear code restarts a full table. */
function lzwEncode(indices: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new ByteSink();
  let buffer = 0;
  let bufferedBits = 0;
  let codeSize = MIN_CODE_SIZE + 1;
  const emit = (code: number) => {
    buffer |= code << bufferedBits;
    bufferedBits += codeSize;
    while (bufferedBits >= 8) {
      out.push(buffer & 0xff);
      buffer >>>= 8;
      bufferedBits -= 8;
    }
  };

  // The string table as a trie: entry (prefix code, next index) holds the extended string's code, 0 if none.
  const table = new Uint16Array((MAX_CODE + 1) * 256);
  let nextCode = END_CODE + 1;
  emit(CLEAR_CODE);
  let prefix = indices[0] ?? 0;
  for (let i = 1; i < indices.length; i++) {
    const symbol = indices[i] ?? 0;
    const key = (prefix << 8) | symbol;
    const known = table[key] ?? 0;
    if (known !== 0) {
      prefix = known;
      continue;
    }
    emit(prefix);
    if (nextCode <= MAX_CODE) {
      // The decoder learns each entry one code later, hence "the code just added needs one more bit".
      if (nextCode >= 1 << codeSize) codeSize++;
      table[key] = nextCode++;
    } else {
      emit(CLEAR_CODE);
      table.fill(0);
      nextCode = END_CODE + 1;
      codeSize = MIN_CODE_SIZE + 1;
    }
    prefix = symbol;
  }
  emit(prefix);
  emit(END_CODE);
  if (bufferedBits > 0) out.push(buffer & 0xff);
  return out.bytes();
}

/** Image data is stored as blocks of at most 255 bytes, each preceded by its length. */
function subBlocks(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += 255) {
    const block = data.subarray(offset, offset + 255);
    parts.push(Uint8Array.of(block.length), block);
  }
  return concatBytes(parts);
}
