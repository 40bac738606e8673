import { describe, expect, it } from "vitest";
import { detectImage } from "../../src/emulator/formats/index.ts";
import {
  headerOnlyImage,
  pngHeaderOnly,
  type SampleFormat,
  sampleImage,
  sampleJpeg,
  samplePng,
  sampleSvg,
} from "../../src/emulator/samples/index.ts";
import type { ImageFormat } from "../../src/emulator/state.ts";

const text = (value: string) => new TextEncoder().encode(value);
const bytes = (...parts: (number[] | Uint8Array | string)[]) =>
  Uint8Array.from(parts.flatMap((part) => (typeof part === "string" ? [...text(part)] : [...part])));
const u32 = (value: number) => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
const le16 = (value: number) => [value & 0xff, value >>> 8];
const box = (type: string, ...payload: (number[] | Uint8Array | string)[]) => {
  const body = bytes(...payload);
  return bytes(u32(8 + body.length), type, body);
};
const fullBox = (type: string, ...payload: (number[] | Uint8Array | string)[]) => box(type, [0, 0, 0, 0], ...payload);
const ispe = (width: number, height: number) => fullBox("ispe", u32(width), u32(height));
const heif = (ftyp: Uint8Array, ...properties: Uint8Array[]) =>
  bytes(ftyp, fullBox("meta", box("iprp", box("ipco", ...properties))));

/** Files written by real encoders (libheif 1.15 with aom/x265, libwebp's cwebp), 24x16 pixels each. */
const REAL_FILES = {
  avif: "AAAAHGZ0eXBhdmlmAAAAAGF2aWZtaWYxbWlhZgAAAOptZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAAAA5waXRtAAAAAAABAAAAImlsb2MAAAAAREAAAQABAAAAAAEOAAEAAAAAAAAAIwAAACNpaW5mAAAAAAABAAAAFWluZmUCAAAAAAEAAGF2MDEAAAAAamlwcnAAAABLaXBjbwAAABNjb2xybmNseAACAAIABoAAAAAMYXYxQ4EADAAAAAAUaXNwZQAAAAAAAAAYAAAAEAAAABBwaXhpAAAAAAMICAgAAAAXaXBtYQAAAAAAAAABAAEEgYIDhAAAACttZGF0EgAKBhgQ7+wIQDIXGwAaaaaEAE/nXXjfm8nVgdf5sgHv6mA=",
  // A grid of one 64x64 tile: only the primary item's extent (24x16) is the image size.
  heic: "AAAAHGZ0eXBoZWljAAAAAG1pZjFoZWljbWlhZgAAAaptZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAAAA5waXRtAAAAAAACAAAAEGlkYXQAAAAAABgAEAAAADhpbG9jAQAAAERAAAIAAQAAAAAAAAHOAAEAAAAAAAAANQACAAEAAAAAAAAAAQAAAAAAAAAIAAAAOGlpbmYAAAAAAAIAAAAVaW5mZQIAAAEAAQAAaHZjMQAAAAAVaW5mZQIAAAAAAgAAZ3JpZAAAAADVaXBycAAAALNpcGNvAAAAc2h2Y0MBA3AAAAAAAAAAAAAe8AD8/fj4AAAPAyAAAQAYQAEMAf//A3AAAAMAkAAAAwAAAwAeugJAIQABACdCAQEDcAAAAwCQAAADAAADAB6gIIEFluqumubAgAAAAwCAAAADAIQiAAEABkQBwXPBiQAAABRpc3BlAAAAAAAAAEAAAABAAAAAFGlzcGUAAAAAAAAAGAAAABAAAAAQcGl4aQAAAAADCAgIAAAAGmlwbWEAAAAAAAAAAgABAoECAAICA4QAAAAaaXJlZgAAAAAAAAAOZGltZwACAAEAAQAAAD1tZGF0AAAAMSgBrxkhZMJA715m6ZPpJJM9Qcd4ZkFC80x66H/cZm/zf41p6iGLebSgq+D5EJOMlFs=",
  webp: "UklGRloAAABXRUJQVlA4IE4AAABwAwCdASoYABAAPxFysFA/pqSisAgD8CIJbDuAGMTurNUB7UYA/uwxnpIHADmY/7uvrDf/4JCn59PFMIQa164XSN6fEyNg7s+2Gu1wAAA=",
} satisfies Partial<Record<ImageFormat, string>>;

const CONTENT_TYPE: Record<ImageFormat, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  avif: "image/avif",
  heic: "image/heic",
};

describe("detectImage on the generated samples", () => {
  const formats: SampleFormat[] = ["png", "jpeg", "gif", "webp", "svg"];
  it.each(formats)("reads the format, content type and size of a %s", (format) => {
    for (const [width, height] of [
      [1, 1],
      [17, 9],
      [64, 200],
      [321, 240],
    ] as const) {
      expect(detectImage(sampleImage(format, width, height, 7))).toEqual({
        format,
        contentType: CONTENT_TYPE[format],
        width,
        height,
      });
    }
  });

  it.each(["png", "jpeg", "gif", "webp", "svg", "avif", "heic"] as const)(
    "reads the huge size a header-only %s claims",
    (format) => {
      // GIF and JPEG store 16 bits per side; the others have room for 50,000.
      const [width, height] = format === "gif" || format === "jpeg" ? [65_535, 40_000] : [50_000, 40_000];
      expect(detectImage(headerOnlyImage(format, width, height))).toMatchObject({ format, width, height });
    },
  );

  it("goes by the bytes only: a PNG named and typed as a JPEG is still a PNG", async () => {
    const file = new File([samplePng(20, 10)], "holiday.jpg", { type: "image/jpeg" });
    expect(detectImage(new Uint8Array(await file.arrayBuffer()))).toMatchObject({
      format: "png",
      width: 20,
      height: 10,
    });
  });

  it("reads files made by real encoders", () => {
    for (const [format, base64] of Object.entries(REAL_FILES)) {
      expect(detectImage(Buffer.from(base64, "base64"))).toEqual({
        format,
        contentType: CONTENT_TYPE[format as ImageFormat],
        width: 24,
        height: 16,
      });
    }
  });
});

describe("detectImage on damaged or foreign input", () => {
  it("never throws and never guesses on any truncation of a valid file", () => {
    const files = [
      samplePng(30, 20),
      sampleJpeg(30, 20),
      sampleImage("gif", 30, 20),
      sampleImage("webp", 30, 20),
      sampleSvg(30, 20),
      headerOnlyImage("avif", 30, 20),
      headerOnlyImage("heic", 30, 20),
      ...Object.values(REAL_FILES).map((base64) => Buffer.from(base64, "base64")),
    ];
    for (const file of files) {
      const whole = detectImage(file);
      for (let length = 0; length < file.length; length++) {
        const detected = detectImage(file.subarray(0, length));
        if (detected !== undefined) expect(detected).toEqual(whole);
      }
    }
  });

  it("refuses headers cut before the size", () => {
    expect(detectImage(samplePng(30, 20).subarray(0, 32))).toBeUndefined();
    expect(detectImage(sampleImage("gif", 30, 20).subarray(0, 9))).toBeUndefined();
    expect(detectImage(sampleImage("webp", 30, 20).subarray(0, 24))).toBeUndefined();
    const jpeg = sampleJpeg(30, 20);
    const frameHeader = jpeg.findIndex((byte, i) => byte === 0xff && jpeg[i + 1] === 0xc0);
    expect(detectImage(jpeg.subarray(0, frameHeader + 8))).toBeUndefined();
    expect(detectImage(jpeg.subarray(0, frameHeader + 9))).toMatchObject({ width: 30, height: 20 });
  });

  it("refuses a PNG whose header checksum is wrong, or that claims a zero size", () => {
    const damaged = samplePng(8, 8);
    damaged[17] = (damaged[17] ?? 0) ^ 0x01; // a bit of the width flips, the CRC no longer matches
    expect(detectImage(damaged)).toBeUndefined();
    expect(detectImage(pngHeaderOnly(0, 10))).toBeUndefined();
    expect(detectImage(headerOnlyImage("gif", 10, 0))).toBeUndefined();
  });

  it("returns undefined for empty, random, text and other formats' bytes", () => {
    let state = 42;
    const random = (length: number) =>
      Uint8Array.from({ length }, () => {
        state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
        return state >>> 16;
      });
    for (const length of [0, 1, 7, 64, 1000, 100_000]) expect(detectImage(random(length))).toBeUndefined();
    expect(detectImage(new Uint8Array(0))).toBeUndefined();
    expect(detectImage(text("hello, world"))).toBeUndefined();
    expect(detectImage(text("<!DOCTYPE html><html><body><svg></svg></body></html>"))).toBeUndefined();
    expect(detectImage(text('{"svg": "<svg width=\\"1\\">"}'))).toBeUndefined();
    expect(detectImage(bytes("BM", new Array(60).fill(0)))).toBeUndefined(); // BMP
    expect(detectImage(bytes([0x49, 0x49, 0x2a, 0x00], new Array(60).fill(0)))).toBeUndefined(); // TIFF
    expect(detectImage(bytes("%PDF-1.7\n", new Array(60).fill(0)))).toBeUndefined();
    // An MP4 is ISO-BMFF too, but its brands are not HEIF image brands.
    expect(detectImage(heif(box("ftyp", "isom", u32(0), "isomiso2mp41"), ispe(640, 480)))).toBeUndefined();
  });
});

describe("JPEG frame headers", () => {
  const soi = [0xff, 0xd8];
  const segment = (marker: number, payload: number[]) => [
    0xff,
    marker,
    (payload.length + 2) >> 8,
    (payload.length + 2) & 0xff,
    ...payload,
  ];
  const frame = (marker: number, width: number, height: number) =>
    segment(marker, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);

  it("finds progressive, lossless and arithmetic frames after other segments", () => {
    for (const marker of [0xc1, 0xc2, 0xc3, 0xc9, 0xca, 0xcf]) {
      const jpeg = bytes(soi, segment(0xe1, [...text("Exif\0\0"), 1, 2, 3]), frame(marker, 300, 200), [0xff, 0xd9]);
      expect(detectImage(jpeg)).toMatchObject({ format: "jpeg", width: 300, height: 200 });
    }
  });

  it("does not take Huffman (C4), arithmetic-conditioning (CC) or JPG (C8) segments for frame headers", () => {
    const decoys = [0xc4, 0xc8, 0xcc].map((marker) => segment(marker, [0, 1, 2, 3, 4, 5, 6, 7, 8]));
    expect(detectImage(bytes(soi, ...decoys, frame(0xc0, 64, 48), [0xff, 0xd9]))).toMatchObject({
      width: 64,
      height: 48,
    });
  });

  it("skips fill bytes between segments", () => {
    expect(detectImage(bytes(soi, [0xff, 0xff], frame(0xc0, 10, 5)))).toMatchObject({ width: 10, height: 5 });
  });

  it("gives up at a scan or end of image before any frame header, or on a broken segment chain", () => {
    expect(detectImage(bytes(soi, segment(0xda, [0, 0, 0]), frame(0xc0, 10, 5)))).toBeUndefined();
    expect(detectImage(bytes(soi, [0xff, 0xd9], frame(0xc0, 10, 5)))).toBeUndefined();
    expect(detectImage(bytes(soi, [0x12, 0x34], frame(0xc0, 10, 5)))).toBeUndefined();
    expect(detectImage(bytes(soi, frame(0xc0, 10, 0)))).toBeUndefined(); // height defined later (DNL)
  });
});

describe("WebP headers", () => {
  const riff = (chunk: string, data: number[]) =>
    bytes("RIFF", [...u32(4 + 8 + data.length)].reverse(), "WEBP", chunk, [...u32(data.length)].reverse(), data);

  it("reads lossy (VP8) key frames, ignoring the scaling bits", () => {
    const vp8 = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, ...le16(0xc000 | 640), ...le16(0x4000 | 480)];
    expect(detectImage(riff("VP8 ", vp8))).toMatchObject({ format: "webp", width: 640, height: 480 });
  });

  it("refuses a VP8 inter frame or a missing start code", () => {
    expect(detectImage(riff("VP8 ", [0x11, 0x02, 0x00, 0x9d, 0x01, 0x2a, 10, 0, 10, 0]))).toBeUndefined();
    expect(detectImage(riff("VP8 ", [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2b, 10, 0, 10, 0]))).toBeUndefined();
  });

  it("reads the extended (VP8X) canvas size, 24 bits per side", () => {
    const vp8x = [0x10, 0, 0, 0, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00];
    expect(detectImage(riff("VP8X", vp8x))).toMatchObject({ format: "webp", width: 16_777_216, height: 16 });
  });

  it("refuses a VP8L header with the wrong signature or version, and unknown first chunks", () => {
    const good = sampleImage("webp", 5, 5);
    const badSignature = good.slice();
    badSignature[20] = 0x2e;
    expect(detectImage(badSignature)).toBeUndefined();
    const badVersion = good.slice();
    badVersion[24] = (badVersion[24] ?? 0) | 0x20;
    expect(detectImage(badVersion)).toBeUndefined();
    expect(detectImage(riff("ALPH", new Array(16).fill(0)))).toBeUndefined();
  });
});

describe("AVIF and HEIC", () => {
  it("tells AVIF from HEIC by the ftyp brands, a generic major brand deferring to the compatible ones", () => {
    const cases: [string, string, ImageFormat | undefined][] = [
      ["avif", "mif1miaf", "avif"],
      ["avis", "msf1", "avif"],
      ["mif1", "miafavif", "avif"],
      ["heic", "mif1", "heic"],
      ["heix", "mif1", "heic"],
      ["mif1", "heic", "heic"],
      ["msf1", "hevc", "heic"],
      ["mif1", "miaf", undefined],
      ["jxl ", "", undefined],
    ];
    for (const [major, compatible, format] of cases) {
      const file = heif(box("ftyp", major, u32(0), compatible), ispe(1200, 800));
      expect(detectImage(file)?.format).toBe(format);
    }
  });

  it("uses the primary item's extent when there are several (grid tiles, thumbnails)", () => {
    expect(detectImage(Buffer.from(REAL_FILES.heic, "base64"))).toMatchObject({ width: 24, height: 16 });
    const ftyp = box("ftyp", "avif", u32(0), "mif1");
    const pitm = fullBox("pitm", [0, 2]);
    // Item 1 (a thumbnail) has property 1, item 2 (primary) has properties 2 (essential bit set) and 3.
    const ipma = fullBox("ipma", u32(2), [0, 1, 1, 0x01], [0, 2, 2, 0x82, 0x03]);
    const ipco = box("ipco", ispe(160, 90), fullBox("pixi", [3, 8, 8, 8]), ispe(3840, 2160));
    const file = bytes(ftyp, fullBox("meta", pitm, box("iprp", ipco, ipma)));
    expect(detectImage(file)).toMatchObject({ format: "avif", width: 3840, height: 2160 });
  });

  it("reads boxes with a 64-bit size", () => {
    const ftyp = box("ftyp", "heic", u32(0), "mif1");
    const iprp = box("iprp", box("ipco", ispe(4032, 3024)));
    const meta = bytes(u32(1), "meta", u32(0), u32(16 + 4 + iprp.length), [0, 0, 0, 0], iprp);
    expect(detectImage(bytes(ftyp, meta))).toMatchObject({ format: "heic", width: 4032, height: 3024 });
  });

  it("refuses a file without an extent, or whose boxes overrun the file", () => {
    const ftyp = box("ftyp", "avif", u32(0), "mif1");
    expect(detectImage(bytes(ftyp, fullBox("meta", box("iprp", box("ipco")))))).toBeUndefined();
    expect(detectImage(ftyp)).toBeUndefined();
    const whole = heif(ftyp, ispe(100, 100));
    expect(detectImage(whole.subarray(0, whole.length - 1))).toBeUndefined();
  });
});

describe("SVG", () => {
  const svg = (attributes: string, before = "") =>
    detectImage(text(`${before}<svg xmlns="http://www.w3.org/2000/svg"${attributes}><rect/></svg>`));

  it("reads width and height in pixels or plain numbers, rounding fractions", () => {
    expect(svg(' width="120" height="80"')).toEqual({
      format: "svg",
      contentType: "image/svg+xml",
      width: 120,
      height: 80,
    });
    expect(svg(" width='120px' height = '80.4px'")).toMatchObject({ width: 120, height: 80 });
    expect(svg(' height="1e3" width="2.5E2"')).toMatchObject({ width: 250, height: 1000 });
  });

  it("falls back to the viewBox, and derives a missing side from its aspect ratio", () => {
    expect(svg(' viewBox="0 0 640 360"')).toMatchObject({ width: 640, height: 360 });
    expect(svg(' viewBox="-10,-10,200,100" width="400"')).toMatchObject({ width: 400, height: 200 });
    expect(svg(' viewBox="0 0 200 100" height="50"')).toMatchObject({ width: 100, height: 50 });
    expect(svg(' width="100%" height="100%" viewBox="0 0 48 24"')).toMatchObject({ width: 48, height: 24 });
  });

  it("uses the browser default of 300x150 when the size is relative or unknown", () => {
    expect(svg("")).toMatchObject({ width: 300, height: 150 });
    expect(svg(' width="10em" height="50%"')).toMatchObject({ width: 300, height: 150 });
    expect(svg(' width="64"')).toMatchObject({ width: 64, height: 150 });
    expect(svg(' width="0" height="-5" viewBox="0 0 0 10"')).toMatchObject({ width: 300, height: 150 });
  });

  it("accepts a byte order mark, XML declaration, comments, processing instructions and a doctype first", () => {
    const prolog =
      '\uFEFF<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<!-- made by <svg> tools -->\n' +
      '<?xml-stylesheet href="a.css"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" ' +
      '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [ <!ENTITY ns "http://x"> ]>\n  ';
    expect(svg(' width="33" height="44"', prolog)).toMatchObject({ format: "svg", width: 33, height: 44 });
  });

  it("honours quotes in the start tag and the self-closing form", () => {
    expect(detectImage(text('<svg data-note="a > b" width="12" height="34"/>'))).toMatchObject({
      width: 12,
      height: 34,
    });
  });

  it("refuses other roots, unfinished prologs and look-alike element names", () => {
    expect(detectImage(text('<svgx width="1" height="1"></svgx>'))).toBeUndefined();
    expect(detectImage(text('<?xml version="1.0"?><html><svg width="1"/></html>'))).toBeUndefined();
    expect(detectImage(text('<!-- never closed <svg width="1" height="1"/>'))).toBeUndefined();
    expect(detectImage(text('<svg width="1" height="1"'))).toBeUndefined();
    expect(detectImage(text(`${" ".repeat(70_000)}<svg width="1" height="1"/>`))).toBeUndefined();
  });
});
