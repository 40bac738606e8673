import { createHash } from "node:crypto";
import sharp from "sharp";
import { thumbHashToAverageRGBA } from "thumbhash";
import { describe, expect, it } from "vitest";
import { computeFacts, type DecodeLimits } from "../../src/facts/decode.ts";
import { svgSize } from "../../src/facts/svg-size.ts";
import { everyFormat, hugeClaimPng, jpeg, png, type SampleFile } from "../support/facts-files.ts";

const LIMITS: DecodeLimits = {
  maxPixels: 100_000_000,
  maxSide: 12_000,
  maxBytes: 10 * 1024 * 1024,
  maxFullDecodePixels: 4_000_000,
  timeoutSeconds: 30,
};
/** Per channel, out of 255: a 32-pixel downscale and a thumbhash keep the mean this close. */
const TOLERANCE = 14;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function rgbOfHex(hex: string): number[] {
  return [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16));
}

async function averageOfDataUrl(dataURL: string): Promise<number[]> {
  const png = Buffer.from(dataURL.replace(/^data:image\/png;base64,/, ""), "base64");
  const { channels } = await sharp(png).stats();
  return channels.slice(0, 3).map((c) => c.mean);
}

function expectNear(actual: number[], expected: number[], label: string): void {
  for (let c = 0; c < 3; c += 1) {
    expect(
      Math.abs((actual[c] ?? -999) - (expected[c] ?? 0)),
      `${label} channel ${c}: ${actual} vs ${expected}`,
    ).toBeLessThanOrEqual(TOLERANCE);
  }
}

describe("computeFacts on real files of every format", async () => {
  const files = await everyFormat();
  it.each(files.map((file) => [file.name, file] as [string, SampleFile]))("%s", async (_name, file) => {
    const record = await computeFacts(file.bytes, sha256(file.bytes), LIMITS);
    expect(record.status, JSON.stringify(record)).toBe("READY");
    if (record.status !== "READY") return;
    const { facts } = record;
    expect(facts).toMatchObject({
      width: file.width,
      height: file.height,
      sourceFormat: file.format,
      animated: file.animated,
      hasAlpha: file.hasAlpha,
      byteSize: file.bytes.byteLength,
      contentHash: sha256(file.bytes),
    });
    if (file.format === "HEIC") {
      // The prebuilt libvips has no HEVC decoder: the size comes from the boxes, no picture to hash.
      expect(facts.placeholder).toBeUndefined();
      return;
    }
    const placeholder = facts.placeholder;
    expect(placeholder?.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
    if (!placeholder) return;
    expectNear(rgbOfHex(placeholder.dominantColor), file.average, "dominantColor");
    const hashAverage = thumbHashToAverageRGBA(Buffer.from(placeholder.thumbhash, "base64"));
    expectNear([hashAverage.r * 255, hashAverage.g * 255, hashAverage.b * 255], file.average, "thumbhash");
    expect(placeholder.dataURL).toMatch(/^data:image\/png;base64,/);
    // Tiny enough to send with every image of a page.
    expect(placeholder.dataURL.length).toBeLessThan(1200);
    if (!file.hasAlpha) expectNear(await averageOfDataUrl(placeholder.dataURL), file.average, "dataURL");
  });
});

describe("computeFacts with bad files", () => {
  it("refuses a file claiming 50,000 × 50,000 pixels without decoding it", async () => {
    const bytes = hugeClaimPng();
    const record = await computeFacts(bytes, sha256(bytes), LIMITS);
    expect(record).toMatchObject({ status: "FAILED", byteSize: bytes.byteLength, contentHash: sha256(bytes) });
    expect(record.status === "FAILED" && record.reason).toMatch(/50000 × 50000 pixels/);
  });

  it("fails a truncated JPEG and a truncated PNG with the decoder's reason", async () => {
    for (const file of [await jpeg(400, 300), await png(400, 300)]) {
      const cut = file.bytes.subarray(0, Math.floor(file.bytes.byteLength * 0.6));
      const record = await computeFacts(cut, sha256(cut), LIMITS);
      expect(record.status, file.name).toBe("FAILED");
      expect(record.status === "FAILED" && record.reason).toMatch(/could not be decoded/);
    }
  });

  it("fails bytes that are no image whatever the name says, and a file starting like one format but not it", async () => {
    const text = Buffer.from("this is not a picture, whatever photo.png says");
    expect(await computeFacts(text, sha256(text), LIMITS)).toMatchObject({
      status: "FAILED",
      reason: "The bytes are not a JPEG, PNG, GIF, WebP, AVIF, HEIC or SVG image.",
    });
    const fake = Buffer.concat([(await png()).bytes.subarray(0, 8), Buffer.alloc(200, 7)]);
    expect((await computeFacts(fake, sha256(fake), LIMITS)).status).toBe("FAILED");
  });

  it("judges the format by the bytes: a JPEG named .png is a JPEG", async () => {
    const file = await jpeg();
    const record = await computeFacts(file.bytes, sha256(file.bytes), LIMITS);
    expect(record.status === "READY" && record.facts.sourceFormat).toBe("JPEG");
  });

  it("refuses files over the byte limit and the side limit", async () => {
    const file = await png(300, 20);
    expect((await computeFacts(file.bytes, "h", { ...LIMITS, maxBytes: 100 })).status).toBe("FAILED");
    const record = await computeFacts(file.bytes, "h", { ...LIMITS, maxSide: 200 });
    expect(record.status === "FAILED" && record.reason).toMatch(/300 × 20/);
  });

  it("survives random bytes after every format's signature", async () => {
    const heads = ["\xff\xd8\xff", "\x89PNG\r\n\x1a\n", "GIF89a", "RIFF\0\0\0\0WEBP", "\0\0\0\x18ftypheic", "<svg "];
    for (const head of heads) {
      for (let seed = 1; seed <= 5; seed += 1) {
        const noise = Buffer.alloc(512, 0).map((_, i) => (i * 7919 * seed + seed) & 0xff);
        const bytes = Buffer.concat([Buffer.from(head, "latin1"), noise]);
        const record = await computeFacts(bytes, sha256(bytes), LIMITS);
        expect(["FAILED", "READY"]).toContain(record.status);
      }
    }
  });
});

describe("computeFacts within the memory bound", () => {
  it("gives a GIF or AVIF frame too large to decode whole its size but no placeholder", async () => {
    const canvas = () => sharp({ create: { width: 2500, height: 2000, channels: 3, background: "#3366aa" } });
    for (const bytes of [await canvas().gif().toBuffer(), await canvas().avif({ effort: 0 }).toBuffer()]) {
      const record = await computeFacts(bytes, sha256(bytes), LIMITS);
      expect(record).toMatchObject({ status: "READY", facts: { width: 2500, height: 2000, placeholder: undefined } });
      const drawn = await computeFacts(bytes, sha256(bytes), { ...LIMITS, maxFullDecodePixels: 5_000_000 });
      expect(drawn.status === "READY" && drawn.facts.placeholder?.dominantColor).toMatch(/^#3[34]66a[ab]$/);
    }
  });

  it("decodes a large JPEG and PNG by shrinking on load or streaming rows", async () => {
    const canvas = () => sharp({ create: { width: 6000, height: 4000, channels: 3, background: "#3366aa" } });
    for (const bytes of [await canvas().jpeg().toBuffer(), await canvas().png().toBuffer()]) {
      const record = await computeFacts(bytes, sha256(bytes), LIMITS);
      expect(record.status === "READY" && record.facts.placeholder?.dominantColor).toMatch(/^#3[34]66a[ab]$/);
    }
  });
});

describe("svgSize", () => {
  const size = (text: string) => svgSize(Buffer.from(text));
  it("reads width and height with units, a viewBox alone, or one side and the viewBox's ratio", () => {
    expect(size('<svg width="2in" height="96pt" xmlns="http://www.w3.org/2000/svg"/>')).toEqual({
      width: 192,
      height: 128,
    });
    expect(size("<svg viewBox='0 0 64.4 32.2'></svg>")).toEqual({ width: 64, height: 32 });
    expect(size('<svg width="200" viewBox="0,0,100,50"></svg>')).toEqual({ width: 200, height: 100 });
    expect(size('<svg width="100%" height="100%" viewBox="0 0 30 10"></svg>')).toEqual({ width: 30, height: 10 });
  });

  it("refuses a DTD with an internal subset (entities) and an SVG with no size at all", () => {
    expect(() => size('<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg width="1" height="1"/>')).toThrow(
      /root/,
    );
    expect(() => size('<svg xmlns="http://www.w3.org/2000/svg"></svg>')).toThrow(/viewBox/);
  });
});
