import sharp from "sharp";

/** Real files of every format the upstream stores, made by sharp (libvips' own encoders). */
export interface SampleFile {
  name: string;
  bytes: Buffer;
  /** As displayed. */
  width: number;
  height: number;
  format: "JPEG" | "PNG" | "GIF" | "WEBP" | "AVIF" | "HEIC" | "SVG";
  animated: boolean;
  hasAlpha: boolean;
  /** The mean colour of the picture, [r, g, b]. */
  average: [number, number, number];
}

/** A picture with two halves of colour, so its average is known: left `a`, right `b`. */
function halves(width: number, height: number, a: number[], b: number[], channels: 3 | 4 = 3): Buffer {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const colour = x < width / 2 ? a : b;
      for (let c = 0; c < channels; c += 1) data[(y * width + x) * channels + c] = colour[c] ?? 255;
    }
  }
  return data;
}

const RED = [220, 40, 40];
const BLUE = [40, 60, 200];
const MEAN: [number, number, number] = [130, 50, 120];

function raw(width: number, height: number, channels: 3 | 4 = 3, a = RED, b = BLUE) {
  return sharp(halves(width, height, a, b, channels), { raw: { width, height, channels } });
}

export async function jpeg(width = 120, height = 80): Promise<SampleFile> {
  const bytes = await raw(width, height).jpeg({ quality: 95 }).toBuffer();
  return { name: "photo.jpg", bytes, width, height, format: "JPEG", animated: false, hasAlpha: false, average: MEAN };
}

/** Stored 120 × 80 with EXIF orientation 6 (turn 90° clockwise): displayed 80 × 120. */
export async function rotatedJpeg(): Promise<SampleFile> {
  const bytes = await raw(120, 80).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  return {
    name: "phone.jpg",
    bytes,
    width: 80,
    height: 120,
    format: "JPEG",
    animated: false,
    hasAlpha: false,
    average: MEAN,
  };
}

/** Left half opaque red, right half fully transparent: the visible average is red. */
export async function alphaPng(): Promise<SampleFile> {
  const bytes = await raw(64, 48, 4, [...RED, 255], [0, 0, 0, 0])
    .png()
    .toBuffer();
  return {
    name: "logo.png",
    bytes,
    width: 64,
    height: 48,
    format: "PNG",
    animated: false,
    hasAlpha: true,
    average: [220, 40, 40],
  };
}

export async function png(width = 90, height = 60): Promise<SampleFile> {
  const bytes = await raw(width, height).png().toBuffer();
  return { name: "chart.png", bytes, width, height, format: "PNG", animated: false, hasAlpha: false, average: MEAN };
}

export async function webp(): Promise<SampleFile> {
  const bytes = await raw(100, 50).webp({ lossless: true }).toBuffer();
  return {
    name: "still.webp",
    bytes,
    width: 100,
    height: 50,
    format: "WEBP",
    animated: false,
    hasAlpha: false,
    average: MEAN,
  };
}

export async function avif(): Promise<SampleFile> {
  const bytes = await raw(64, 32).avif({ quality: 90 }).toBuffer();
  return {
    name: "modern.avif",
    bytes,
    width: 64,
    height: 32,
    format: "AVIF",
    animated: false,
    hasAlpha: false,
    average: MEAN,
  };
}

/** Three frames of the same picture, 40 × 30 each. */
async function animated(kind: "gif" | "webp"): Promise<SampleFile> {
  // Frames that differ (an encoder merges identical ones), each with the same average colour.
  const frame = await raw(40, 30).png().toBuffer();
  const mirrored = await raw(40, 30, 3, BLUE, RED).png().toBuffer();
  const pipeline = sharp([frame, mirrored, frame], { join: { animated: true } });
  const bytes = await (kind === "gif"
    ? pipeline.gif({ delay: 100 })
    : pipeline.webp({ lossless: true, delay: 100 })
  ).toBuffer();
  return {
    name: `moving.${kind}`,
    bytes,
    width: 40,
    height: 30,
    format: kind === "gif" ? "GIF" : "WEBP",
    animated: true,
    // cgif marks the pixels a frame leaves unchanged as transparent, so libvips reads an alpha channel.
    hasAlpha: kind === "gif",
    average: MEAN,
  };
}

export const animatedGif = () => animated("gif");
export const animatedWebp = () => animated("webp");

/** Only a viewBox: the size is the viewBox's. */
export function viewBoxSvg(): SampleFile {
  const text =
    '<?xml version="1.0"?>\n<!-- drawn by hand -->\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150">' +
    '<rect x="0" y="0" width="150" height="150" fill="rgb(220,40,40)"/><rect x="150" y="0" width="150" height="150" fill="rgb(40,60,200)"/></svg>';
  return {
    name: "icon.svg",
    bytes: Buffer.from(text),
    width: 300,
    height: 150,
    format: "SVG",
    animated: false,
    hasAlpha: true,
    average: MEAN,
  };
}

/**
 * A HEIF container branded `heic`: an AVIF of libvips with its brands rewritten. Its boxes
 * (`ispe`, `ipma`, `pitm`) are those of any HEIC; its codec is not, which a HEIC without a
 * decoder never reaches anyway.
 */
export async function heic(): Promise<SampleFile> {
  const bytes = Buffer.from(await raw(48, 36).avif({ quality: 80 }).toBuffer());
  const ftypEnd = bytes.readUInt32BE(0);
  for (let at = 8; at + 4 <= ftypEnd; at += 4) {
    const brand = bytes.toString("latin1", at, at + 4);
    if (brand === "avif" || brand === "avis") bytes.write("heic", at, "latin1");
  }
  return {
    name: "iphone.heic",
    bytes,
    width: 48,
    height: 36,
    format: "HEIC",
    animated: false,
    hasAlpha: false,
    average: MEAN,
  };
}

export async function everyFormat(): Promise<SampleFile[]> {
  return [
    await jpeg(),
    await rotatedJpeg(),
    await png(),
    await alphaPng(),
    await webp(),
    await animatedGif(),
    await animatedWebp(),
    await avif(),
    await heic(),
    viewBoxSvg(),
  ];
}

/** A PNG header claiming 50,000 × 50,000 pixels, with a few bytes of data after it. */
export function hugeClaimPng(): Buffer {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(50_000, 0);
  ihdr.writeUInt32BE(50_000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    signature,
    chunk("IHDR", ihdr),
    chunk("IDAT", Buffer.from([0x78, 0x9c, 0x03, 0x00])),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "latin1"), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
