import { ascii, ByteSink, concatBytes, u32le } from "./bytes.ts";
import { canonicalCode, codeLengths, type PrefixCode } from "./prefix-code.ts";
import type { RgbImage } from "./raster.ts";

const VP8L_SIGNATURE = 0x2f;
/** Green also codes the 24 backward-reference lengths (unused here), so its alphabet is 280. */
const GREEN_ALPHABET = 256 + 24;
const DISTANCE_ALPHABET = 40;
/** Predictor blocks of 2^9 = 512 pixels, the largest VP8L allows: one mode covers the image. */
const PREDICTOR_BLOCK_BITS = 9;
/** Order in which the lengths of the code-length code are sent (VP8L spec, "Normal Code Length Code"). */
const CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/**
 * A lossless WebP (VP8L). One predictor transform ("left pixel" everywhere) turns the smooth
 * gradients into mostly-zero residuals; then no colour cache, no backward references and a single
 * group of prefix codes: every pixel is its green, red and blue residual codes (alpha is always 255,
 * a zero-bit code).
 */
export function encodeWebp(image: RgbImage): Uint8Array<ArrayBuffer> {
  const { width, height } = image;
  const bits = new LsbBitWriter();
  bits.write(VP8L_SIGNATURE, 8);
  bits.write(width - 1, 14);
  bits.write(height - 1, 14);
  bits.write(0, 1); // alpha_is_used: no
  bits.write(0, 3); // version 0
  writeLeftPredictorTransform(bits);
  bits.write(0, 1); // no further transform
  bits.write(0, 1); // no colour cache
  bits.write(0, 1); // a single prefix-code group, no entropy image

  const residuals = leftPredictionResiduals(image);
  const pixels = width * height;
  const alpha = new Array<number>(256).fill(0);
  alpha[0] = pixels;
  const [greenCode, redCode, blueCode] = [
    channelHistogram(residuals, 1, GREEN_ALPHABET),
    channelHistogram(residuals, 0, 256),
    channelHistogram(residuals, 2, 256),
    alpha,
    new Array<number>(DISTANCE_ALPHABET).fill(0),
  ].map((histogram) => writePrefixCode(bits, histogram)) as [PrefixCode, PrefixCode, PrefixCode];

  for (let offset = 0; offset < pixels * 3; offset += 3) {
    const green = residuals[offset + 1] ?? 0;
    const red = residuals[offset] ?? 0;
    const blue = residuals[offset + 2] ?? 0;
    bits.write(greenCode.reversedCodes[green] ?? 0, greenCode.lengths[green] ?? 0);
    bits.write(redCode.reversedCodes[red] ?? 0, redCode.lengths[red] ?? 0);
    bits.write(blueCode.reversedCodes[blue] ?? 0, blueCode.lengths[blue] ?? 0);
  }
  return riffContainer(bits.finish());
}

/**
 * A predictor transform with the largest blocks (512 px) all using mode 1, "left pixel". Its
 * sub-image holds the mode in green; every sub-image pixel is the same, so each of its five codes
 * is a one-symbol code and the pixels themselves cost no bits.
 */
function writeLeftPredictorTransform(bits: LsbBitWriter): void {
  bits.write(1, 1); // a transform follows
  bits.write(0, 2); // PREDICTOR_TRANSFORM
  bits.write(PREDICTOR_BLOCK_BITS - 2, 3);
  bits.write(0, 1); // sub-image: no colour cache (and, not being the main image, no entropy image)
  const singleSymbol = (alphabet: number, symbol: number) => {
    const histogram = new Array<number>(alphabet).fill(0);
    histogram[symbol] = 1;
    return histogram;
  };
  const modeLeft = 1;
  for (const histogram of [
    singleSymbol(GREEN_ALPHABET, modeLeft),
    singleSymbol(256, 0),
    singleSymbol(256, 0),
    singleSymbol(256, 255),
    singleSymbol(DISTANCE_ALPHABET, 0),
  ]) {
    writePrefixCode(bits, histogram);
  }
}

/**
 * What the decoder adds back: the top-left pixel is predicted by opaque black, the rest of the first
 * row by the pixel on the left, the first column by the pixel above, everything else by the left pixel.
 */
function leftPredictionResiduals({ width, height, rgb }: RgbImage): Uint8Array<ArrayBuffer> {
  const residuals = new Uint8Array(rgb.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3;
      const predictor = x > 0 ? offset - 3 : y > 0 ? offset - width * 3 : -1;
      for (let channel = 0; channel < 3; channel++) {
        const predicted = predictor < 0 ? 0 : (rgb[predictor + channel] ?? 0);
        residuals[offset + channel] = ((rgb[offset + channel] ?? 0) - predicted) & 0xff;
      }
    }
  }
  return residuals;
}

function channelHistogram(rgb: Uint8Array, channel: number, alphabet: number): number[] {
  const histogram = new Array<number>(alphabet).fill(0);
  for (let i = channel; i < rgb.length; i += 3) histogram[rgb[i] ?? 0] = (histogram[rgb[i] ?? 0] ?? 0) + 1;
  return histogram;
}

/** Sends a prefix code and returns it; a code with a single symbol costs zero bits per use. */
function writePrefixCode(bits: LsbBitWriter, histogram: number[]): PrefixCode {
  const used = histogram.flatMap((count, symbol) => (count > 0 ? [symbol] : []));
  if (used.length <= 2 && used.every((symbol) => symbol < 256)) return writeSimpleCode(bits, histogram.length, used);
  const lengths = codeLengths(histogram, 15);
  writeCodeLengths(bits, lengths);
  return canonicalCode(lengths);
}

/** The "simple code": one or two 8-bit symbols listed directly. */
function writeSimpleCode(bits: LsbBitWriter, alphabet: number, used: number[]): PrefixCode {
  const [first = 0, second] = used;
  bits.write(1, 1);
  bits.write(second === undefined ? 0 : 1, 1);
  if (first < 2) {
    bits.write(0, 1);
    bits.write(first, 1);
  } else {
    bits.write(1, 1);
    bits.write(first, 8);
  }
  const lengths = new Array<number>(alphabet).fill(0);
  if (second === undefined) return { lengths, reversedCodes: [...lengths] };
  bits.write(second, 8);
  lengths[first] = 1;
  lengths[second] = 1;
  return canonicalCode(lengths);
}

/** The "normal code": every symbol's length, themselves coded with a code-length code. */
function writeCodeLengths(bits: LsbBitWriter, lengths: number[]): void {
  const histogram = new Array<number>(CODE_LENGTH_ORDER.length).fill(0);
  for (const length of lengths) histogram[length] = (histogram[length] ?? 0) + 1;
  // A one-symbol code-length code would be an incomplete code: give it a second symbol.
  if (histogram.filter((count) => count > 0).length === 1) histogram[histogram[0] ? 1 : 0] = 1;
  const lengthCode = canonicalCode(codeLengths(histogram, 7));

  let sent = CODE_LENGTH_ORDER.length;
  while (sent > 4 && lengthCode.lengths[CODE_LENGTH_ORDER[sent - 1] ?? 0] === 0) sent--;
  bits.write(0, 1);
  bits.write(sent - 4, 4);
  for (const symbol of CODE_LENGTH_ORDER.slice(0, sent)) bits.write(lengthCode.lengths[symbol] ?? 0, 3);
  bits.write(0, 1); // lengths follow for the whole alphabet
  for (const length of lengths) bits.write(lengthCode.reversedCodes[length] ?? 0, lengthCode.lengths[length] ?? 0);
}

function riffContainer(vp8l: Uint8Array): Uint8Array<ArrayBuffer> {
  // RIFF chunks are padded to an even size; the chunk's own size does not count the padding.
  const padding = vp8l.length % 2 === 1 ? [0] : [];
  return concatBytes([
    ascii("RIFF"),
    u32le(4 + 8 + vp8l.length + padding.length),
    ascii("WEBPVP8L"),
    u32le(vp8l.length),
    vp8l,
    padding,
  ]);
}

class LsbBitWriter {
  readonly #out = new ByteSink();
  #buffer = 0;
  #bits = 0;

  write(value: number, length: number): void {
    this.#buffer |= value << this.#bits;
    this.#bits += length;
    while (this.#bits >= 8) {
      this.#out.push(this.#buffer & 0xff);
      this.#buffer >>>= 8;
      this.#bits -= 8;
    }
  }

  finish(): Uint8Array<ArrayBuffer> {
    if (this.#bits > 0) this.#out.push(this.#buffer & 0xff);
    return this.#out.bytes();
  }
}
