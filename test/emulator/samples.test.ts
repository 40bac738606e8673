import { crc32, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { detectImage } from "../../src/emulator/formats/index.ts";
import {
  headerOnlyImage,
  paddedPng,
  pngHeaderOnly,
  sampleGif,
  sampleImage,
  sampleJpeg,
  samplePng,
  sampleSvg,
  sampleWebp,
} from "../../src/emulator/samples/index.ts";
import { CHROMA_AC, CHROMA_DC, LUMA_AC, LUMA_DC } from "../../src/emulator/samples/jpeg-tables.ts";
import { canonicalCode, codeLengths } from "../../src/emulator/samples/prefix-code.ts";

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const ascii = (bytes: Uint8Array, from: number, length: number) =>
  String.fromCharCode(...bytes.subarray(from, from + length));

interface PngChunk {
  type: string;
  data: Uint8Array;
}

/** Walks the chunks, checking every CRC. */
function pngChunks(png: Uint8Array): PngChunk[] {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: PngChunk[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view(png).getUint32(at);
    const type = ascii(png, at + 4, 4);
    expect(crc32(png.subarray(at + 4, at + 8 + length)), `CRC of ${type}`).toBe(view(png).getUint32(at + 8 + length));
    chunks.push({ type, data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return chunks;
}

/** A plain GIF LZW decoder: the pixel indices, and how many clear codes the stream used. */
function decodeGif(gif: Uint8Array): { width: number; height: number; indices: number[]; clears: number } {
  expect(ascii(gif, 0, 6)).toBe("GIF89a");
  const packed = gif[10] ?? 0;
  let at = 13 + (packed & 0x80 ? 3 << ((packed & 7) + 1) : 0);
  expect(gif[at]).toBe(0x2c);
  const width = view(gif).getUint16(at + 5, true);
  const height = view(gif).getUint16(at + 7, true);
  at += 10;
  const minCodeSize = gif[at++] ?? 0;
  const data: number[] = [];
  while (gif[at] !== 0) {
    const length = gif[at] ?? 0;
    data.push(...gif.subarray(at + 1, at + 1 + length));
    at += 1 + length;
  }
  expect(at + 2).toBe(gif.length); // block terminator, then the trailer ends the file
  expect(gif[at + 1]).toBe(0x3b);

  const clear = 1 << minCodeSize;
  let table: number[][] = [];
  let codeSize = minCodeSize + 1;
  let previous: number[] | undefined;
  let clears = 0;
  const indices: number[] = [];
  for (let bit = 0; ; ) {
    let code = 0;
    for (let i = 0; i < codeSize; i++, bit++) code |= (((data[bit >> 3] ?? 0) >> (bit & 7)) & 1) << i;
    if (code === clear) {
      table = Array.from({ length: clear + 2 }, (_, i) => [i]);
      codeSize = minCodeSize + 1;
      previous = undefined;
      clears++;
      continue;
    }
    if (code === clear + 1) break;
    const entry = table[code] ?? (previous && code === table.length ? [...previous, previous[0] ?? 0] : undefined);
    if (!entry) throw new Error(`code ${code} not in the table`);
    indices.push(...entry);
    if (previous && table.length < 4096) table.push([...previous, entry[0] ?? 0]);
    if (table.length === 1 << codeSize && codeSize < 12) codeSize++;
    previous = entry;
  }
  return { width, height, indices, clears };
}

describe("sample PNG", () => {
  it("is an 8-bit RGB PNG with valid CRCs whose data inflates to one filter byte plus 3 bytes per pixel a row", () => {
    const chunks = pngChunks(samplePng(37, 21, 3));
    expect(chunks.map((chunk) => chunk.type)).toEqual(["IHDR", "IDAT", "IEND"]);
    const header = view(chunks[0]?.data ?? new Uint8Array());
    expect([header.getUint32(0), header.getUint32(4), header.getUint8(8), header.getUint8(9)]).toEqual([37, 21, 8, 2]);
    const rows = inflateSync(chunks[1]?.data ?? new Uint8Array());
    expect(rows.length).toBe(21 * (1 + 37 * 3));
  });

  it("pads to an exact byte size with a chunk decoders skip, e.g. 10 MiB and 10 MiB + 1", () => {
    for (const size of [10 * 1024 * 1024, 10 * 1024 * 1024 + 1, 500]) {
      const png = paddedPng(size);
      expect(png.length).toBe(size);
      expect(pngChunks(png).map((chunk) => chunk.type)).toEqual(["IHDR", "IDAT", "paDd", "IEND"]);
      expect(detectImage(png)).toMatchObject({ format: "png", width: 16, height: 16 });
    }
    expect(() => paddedPng(10)).toThrow(RangeError);
  });

  it("can claim any size without carrying the pixels", () => {
    const png = pngHeaderOnly(30_000, 20_000);
    expect(png.length).toBeLessThan(100);
    expect(pngChunks(png).map((chunk) => chunk.type)).toEqual(["IHDR", "IDAT", "IEND"]);
    expect(detectImage(png)).toMatchObject({ width: 30_000, height: 20_000 });
  });
});

describe("sample GIF", () => {
  it("decodes (LZW) to exactly one palette index per pixel, with table resets on larger pictures", () => {
    for (const [width, height] of [
      [1, 1],
      [13, 7],
      [256, 256],
    ] as const) {
      const decoded = decodeGif(sampleGif(width, height, 5));
      expect([decoded.width, decoded.height]).toEqual([width, height]);
      expect(decoded.indices.length).toBe(width * height);
      if (width === 256) expect(decoded.clears).toBeGreaterThan(1);
    }
  });
});

describe("sample JPEG", () => {
  it("is a baseline JFIF: SOI, APP0, DQT, SOF0 (4:2:0), DHT, SOS, stuffed entropy data, EOI", () => {
    const jpeg = sampleJpeg(50, 30, 2);
    const markers: number[] = [];
    let at = 2;
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    while (jpeg[at + 1] !== 0xda) {
      markers.push(jpeg[at + 1] ?? 0);
      at += 2 + view(jpeg).getUint16(at + 2);
    }
    expect(markers).toEqual([0xe0, 0xdb, 0xc0, 0xc4]);
    expect(ascii(jpeg, 6, 5)).toBe("JFIF\0");
    const frame = jpeg.indexOf(0xc0, 2) + 3;
    expect([...jpeg.subarray(frame, frame + 15)]).toEqual([8, 0, 30, 0, 50, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    const scan = jpeg.subarray(at + 2 + view(jpeg).getUint16(at + 2), jpeg.length - 2);
    // In entropy-coded data a 0xFF byte is always followed by a stuffed 0x00.
    scan.forEach((byte, i) => {
      if (byte === 0xff) expect(scan[i + 1]).toBe(0);
    });
    expect([jpeg[jpeg.length - 2], jpeg[jpeg.length - 1]]).toEqual([0xff, 0xd9]);
  });

  it("uses Huffman tables whose counts match their symbols, AC tables covering every run/size symbol", () => {
    const everyAcSymbol = [0x00, 0xf0, ...Array.from({ length: 160 }, (_, i) => ((i / 10) << 4) | ((i % 10) + 1))];
    for (const table of [LUMA_DC, CHROMA_DC, LUMA_AC, CHROMA_AC]) {
      expect(table.counts.reduce((sum, count) => sum + count, 0)).toBe(table.symbols.length);
      expect(new Set(table.symbols).size).toBe(table.symbols.length);
    }
    for (const table of [LUMA_AC, CHROMA_AC]) expect([...table.symbols].sort()).toEqual(everyAcSymbol.sort());
  });
});

describe("sample WebP", () => {
  it("is a RIFF container holding one VP8L chunk with the size in its header", () => {
    const webp = sampleWebp(33, 17, 4);
    expect(ascii(webp, 0, 4)).toBe("RIFF");
    expect(view(webp).getUint32(4, true)).toBe(webp.length - 8);
    expect(webp.length % 2).toBe(0);
    expect(ascii(webp, 8, 8)).toBe("WEBPVP8L");
    const chunkLength = view(webp).getUint32(16, true);
    expect(20 + chunkLength + (chunkLength % 2)).toBe(webp.length);
    const header = view(webp).getUint32(21, true);
    expect([webp[20], (header & 0x3fff) + 1, ((header >>> 14) & 0x3fff) + 1, header >>> 29]).toEqual([0x2f, 33, 17, 0]);
  });

  it("builds complete prefix codes within the length limit, even for very skewed histograms", () => {
    // Fibonacci counts make the deepest possible Huffman tree (one level per symbol).
    const fibonacci = [1, 1];
    while (fibonacci.length < 40) fibonacci.push((fibonacci.at(-1) ?? 0) + (fibonacci.at(-2) ?? 0));
    for (const [histogram, limit] of [
      [fibonacci, 15],
      [fibonacci.slice(0, 19), 7],
      [[5, 0, 0, 9, 1], 15],
    ] as const) {
      const lengths = codeLengths(histogram, limit);
      expect(Math.max(...lengths)).toBeLessThanOrEqual(limit);
      // Kraft equality: the code is complete, as VP8L decoders require.
      expect(lengths.reduce((sum, length) => sum + (length ? 2 ** -length : 0), 0)).toBe(1);
      histogram.forEach((count, symbol) => {
        expect(lengths[symbol] === 0).toBe(count === 0);
      });
      const { reversedCodes } = canonicalCode(lengths);
      const codes = lengths.flatMap((length, symbol) =>
        length ? [(reversedCodes[symbol] ?? 0).toString(2).padStart(length, "0").split("").reverse().join("")] : [],
      );
      for (const a of codes) for (const b of codes) if (a !== b) expect(b.startsWith(a)).toBe(false);
    }
  });
});

describe("all samples", () => {
  it("are deterministic for a seed and differ between seeds", () => {
    for (const format of ["png", "jpeg", "gif", "webp", "svg"] as const) {
      expect(sampleImage(format, 40, 30, 9)).toEqual(sampleImage(format, 40, 30, 9));
      expect(sampleImage(format, 40, 30, 9)).not.toEqual(sampleImage(format, 40, 30, 10));
    }
  });

  it("SVG is a complete document with a size and a viewBox", () => {
    const svg = new TextDecoder().decode(sampleSvg(120, 90, 3));
    expect(svg).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg [^>]*width="120" height="90" viewBox="0 0 120 90"/,
    );
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  });

  it("refuse sizes their format cannot store", () => {
    expect(() => sampleWebp(16_385, 1)).toThrow(RangeError);
    expect(() => sampleGif(0, 10)).toThrow(RangeError);
    expect(() => samplePng(1.5, 10)).toThrow(RangeError);
  });

  it("header-only files stay tiny whatever they claim", () => {
    for (const format of ["png", "jpeg", "gif", "webp", "svg", "avif", "heic"] as const) {
      expect(headerOnlyImage(format, 60_000, 60_000).length).toBeLessThan(200);
    }
  });
});
