import { deflateSync } from "node:zlib";
import type { ImageFormat } from "../state.ts";
import { ascii, concatBytes, u16be, u16le, u24le, u32be, u32le } from "./bytes.ts";
import { PNG_SIGNATURE, pngChunk, rgbHeaderChunk } from "./png.ts";

/**
 * Files whose headers claim a size but which carry no real picture: enough for format detection
 * and the dimension limits, without allocating the pixels. Not decodable (an empty IDAT, no scan).
 */
export function headerOnlyImage(format: ImageFormat, width: number, height: number): Uint8Array<ArrayBuffer> {
  switch (format) {
    case "png":
      return pngHeaderOnly(width, height);
    case "gif":
      // Header, logical screen without colour table, trailer.
      return concatBytes([ascii("GIF89a"), u16le(width), u16le(height), [0, 0, 0, 0x3b]]);
    case "jpeg":
      // SOI, a baseline frame header for one 8-bit component, EOI.
      return concatBytes([
        [0xff, 0xd8, 0xff, 0xc0],
        u16be(11),
        [8],
        u16be(height),
        u16be(width),
        [1, 1, 0x11, 0, 0xff, 0xd9],
      ]);
    case "webp":
      return webpCanvasOnly(width, height);
    case "svg":
      return ascii(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"/>`);
    case "avif":
      return heifHeaderOnly("avif", ["avif", "mif1", "miaf"], width, height);
    case "heic":
      return heifHeaderOnly("heic", ["mif1", "heic"], width, height);
  }
}

export function pngHeaderOnly(width: number, height: number): Uint8Array<ArrayBuffer> {
  return concatBytes([
    PNG_SIGNATURE,
    rgbHeaderChunk(width, height),
    pngChunk("IDAT", deflateSync(new Uint8Array(0))),
    pngChunk("IEND", new Uint8Array(0)),
  ]);
}

/** An extended (VP8X) WebP: its canvas size is 24 bits per side, far past what VP8L can hold. */
function webpCanvasOnly(width: number, height: number): Uint8Array<ArrayBuffer> {
  const vp8x = [0, 0, 0, 0, ...u24le(width - 1), ...u24le(height - 1)];
  return concatBytes([ascii("RIFF"), u32le(4 + 8 + vp8x.length), ascii("WEBPVP8X"), u32le(vp8x.length), vp8x]);
}

/** ISO-BMFF: `ftyp`, then `meta` holding the image spatial extent (`ispe`) under `iprp/ipco`. */
function heifHeaderOnly(major: string, compatible: string[], width: number, height: number): Uint8Array<ArrayBuffer> {
  const ftyp = box("ftyp", ascii(major), u32be(0), ...compatible.map(ascii));
  const handler = fullBox("hdlr", u32be(0), ascii("pict"), new Uint8Array(12), [0]);
  const extent = fullBox("ispe", u32be(width), u32be(height));
  return concatBytes([ftyp, fullBox("meta", handler, box("iprp", box("ipco", extent)))]);
}

function box(type: string, ...payload: (Uint8Array | number[])[]): Uint8Array<ArrayBuffer> {
  const body = concatBytes(payload);
  return concatBytes([u32be(8 + body.length), ascii(type), body]);
}

/** A box with a version byte and 24 bits of flags (all zero here) before its payload. */
function fullBox(type: string, ...payload: (Uint8Array | number[])[]): Uint8Array<ArrayBuffer> {
  return box(type, [0, 0, 0, 0], ...payload);
}
