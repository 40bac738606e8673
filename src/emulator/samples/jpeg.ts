import { ascii, ByteSink, concatBytes, u16be } from "./bytes.ts";
import { CHROMA_AC, CHROMA_DC, CHROMA_QUANT, type HuffmanSpec, LUMA_AC, LUMA_DC, LUMA_QUANT } from "./jpeg-tables.ts";
import type { RgbImage } from "./raster.ts";

const QUALITY = 85;
/** `ZIGZAG[k]` is the row-major index of the k-th coefficient in the order JPEG stores them. */
const ZIGZAG = zigzagOrder();
/** The AAN DCT's output scale per frequency: √2 · cos(kπ/16), and 1 for k = 0. */
const AAN_SCALE = Array.from({ length: 8 }, (_, k) => (k === 0 ? 1 : Math.SQRT2 * Math.cos((k * Math.PI) / 16)));

interface CodeTable {
  lengths: Uint8Array;
  codes: Uint16Array;
}

interface Component {
  /** Multipliers per zigzag position that undo the DCT scaling and divide by the quantiser. */
  divisors: Float64Array;
  dc: CodeTable;
  ac: CodeTable;
  previousDc: number;
}

/**
 * A baseline (sequential, Huffman) JFIF: YCbCr with 4:2:0 chroma subsampling (the common layout:
 * 16x16 pixels make four Y blocks, one Cb, one Cr), the Annex K tables, quality 85.
 */
export function encodeJpeg(image: RgbImage): Uint8Array<ArrayBuffer> {
  const lumaQuant = scaleQuant(LUMA_QUANT);
  const chromaQuant = scaleQuant(CHROMA_QUANT);
  const inZigzag = (quant: number[]) => ZIGZAG.map((index) => quant[index] ?? 1);
  const luma = { divisors: divisors(lumaQuant), dc: codeTable(LUMA_DC), ac: codeTable(LUMA_AC), previousDc: 0 };
  const chroma = () => ({
    divisors: divisors(chromaQuant),
    dc: codeTable(CHROMA_DC),
    ac: codeTable(CHROMA_AC),
    previousDc: 0,
  });
  return concatBytes([
    [0xff, 0xd8],
    // JFIF 1.01, no units, 1:1 pixel aspect, no thumbnail.
    segment(0xe0, [...ascii("JFIF\0"), 1, 1, 0, ...u16be(1), ...u16be(1), 0, 0]),
    segment(0xdb, [0, ...inZigzag(lumaQuant), 1, ...inZigzag(chromaQuant)]),
    // 8-bit samples; components 1 (Y, 2x2 sampled, table 0), 2 (Cb) and 3 (Cr) (1x1, table 1).
    segment(0xc0, [8, ...u16be(image.height), ...u16be(image.width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]),
    segment(0xc4, [
      ...[0x00, ...huffmanSegment(LUMA_DC)],
      ...[0x10, ...huffmanSegment(LUMA_AC)],
      ...[0x01, ...huffmanSegment(CHROMA_DC)],
      ...[0x11, ...huffmanSegment(CHROMA_AC)],
    ]),
    segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]),
    entropyCoded(image, [luma, chroma(), chroma()]),
    [0xff, 0xd9],
  ]);
}

function segment(marker: number, payload: number[]): number[] {
  return [0xff, marker, ...u16be(payload.length + 2), ...payload];
}

function huffmanSegment(spec: HuffmanSpec): number[] {
  return [...spec.counts, ...spec.symbols];
}

/** libjpeg's quality scaling of the Annex K tables. */
function scaleQuant(base: number[]): number[] {
  const scale = QUALITY < 50 ? 5000 / QUALITY : 200 - QUALITY * 2;
  return base.map((value) => Math.min(255, Math.max(1, Math.floor((value * scale + 50) / 100))));
}

function divisors(quant: number[]): Float64Array {
  return Float64Array.from(ZIGZAG, (index) => {
    const scale = (AAN_SCALE[index >> 3] ?? 1) * (AAN_SCALE[index & 7] ?? 1) * 8;
    return 1 / ((quant[index] ?? 1) * scale);
  });
}

function codeTable(spec: HuffmanSpec): CodeTable {
  const lengths = new Uint8Array(256);
  const codes = new Uint16Array(256);
  let code = 0;
  let k = 0;
  spec.counts.forEach((count, index) => {
    for (let i = 0; i < count; i++) {
      const symbol = spec.symbols[k++] ?? 0;
      lengths[symbol] = index + 1;
      codes[symbol] = code++;
    }
    code <<= 1;
  });
  return { lengths, codes };
}

function entropyCoded(image: RgbImage, [luma, cb, cr]: [Component, Component, Component]): Uint8Array<ArrayBuffer> {
  const writer = new JpegBitWriter();
  const blocks = Array.from({ length: 6 }, () => new Float64Array(64));
  const owners = [luma, luma, luma, luma, cb, cr];
  const quantised = new Int32Array(64);
  for (let top = 0; top < image.height; top += 16) {
    for (let left = 0; left < image.width; left += 16) {
      loadMcu(image, left, top, blocks);
      blocks.forEach((block, index) => {
        const component = owners[index] ?? luma;
        forwardDct(block);
        for (let k = 0; k < 64; k++) {
          quantised[k] = Math.round((block[ZIGZAG[k] ?? 0] ?? 0) * (component.divisors[k] ?? 0));
        }
        encodeBlock(writer, quantised, component);
      });
    }
  }
  return writer.finish();
}

/**
 * Level-shifted samples of one 16x16 unit: four Y blocks in raster order, then Cb and Cr averaged
 * over 2x2 pixels. Past the picture's edge the last row and column repeat.
 */
function loadMcu({ width, height, rgb }: RgbImage, left: number, top: number, blocks: Float64Array[]): void {
  const [cb, cr] = [blocks[4] ?? new Float64Array(64), blocks[5] ?? new Float64Array(64)];
  cb.fill(0);
  cr.fill(0);
  for (let row = 0; row < 16; row++) {
    for (let column = 0; column < 16; column++) {
      const pixel = (Math.min(top + row, height - 1) * width + Math.min(left + column, width - 1)) * 3;
      const r = rgb[pixel] ?? 0;
      const g = rgb[pixel + 1] ?? 0;
      const b = rgb[pixel + 2] ?? 0;
      const luma = blocks[(row >> 3) * 2 + (column >> 3)] ?? cb;
      luma[(row & 7) * 8 + (column & 7)] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
      const chroma = (row >> 1) * 8 + (column >> 1);
      cb[chroma] = (cb[chroma] ?? 0) + (-0.168736 * r - 0.331264 * g + 0.5 * b) / 4;
      cr[chroma] = (cr[chroma] ?? 0) + (0.5 * r - 0.418688 * g - 0.081312 * b) / 4;
    }
  }
}

/**
 * The Arai-Agui-Nakajima forward DCT (the float version libjpeg ships), in place: rows, then
 * columns. Its outputs are scaled by AAN_SCALE[u] · AAN_SCALE[v] · 8, which the quantiser divides out.
 */
function forwardDct(block: Float64Array): void {
  for (let pass = 0; pass < 2; pass++) {
    // First pass: the eight rows (stride 1); second pass: the eight columns (stride 8).
    const step = pass === 0 ? 1 : 8;
    const next = pass === 0 ? 8 : 1;
    for (let line = 0; line < 8; line++) {
      const at = line * next;
      const d = (k: number) => block[at + k * step] ?? 0;
      const tmp0 = d(0) + d(7);
      const tmp7 = d(0) - d(7);
      const tmp1 = d(1) + d(6);
      const tmp6 = d(1) - d(6);
      const tmp2 = d(2) + d(5);
      const tmp5 = d(2) - d(5);
      const tmp3 = d(3) + d(4);
      const tmp4 = d(3) - d(4);

      const even10 = tmp0 + tmp3;
      const even13 = tmp0 - tmp3;
      const even11 = tmp1 + tmp2;
      const even12 = tmp1 - tmp2;
      block[at] = even10 + even11;
      block[at + 4 * step] = even10 - even11;
      const z1 = (even12 + even13) * Math.SQRT1_2;
      block[at + 2 * step] = even13 + z1;
      block[at + 6 * step] = even13 - z1;

      const odd10 = tmp4 + tmp5;
      const odd11 = tmp5 + tmp6;
      const odd12 = tmp6 + tmp7;
      // The odd part's rotation: cos(6π/16), cos(2π/16) - cos(6π/16) and cos(2π/16) + cos(6π/16).
      const z5 = (odd10 - odd12) * 0.382683433;
      const z2 = 0.5411961 * odd10 + z5;
      const z4 = 1.306562965 * odd12 + z5;
      const z3 = odd11 * Math.SQRT1_2;
      const z11 = tmp7 + z3;
      const z13 = tmp7 - z3;
      block[at + 5 * step] = z13 + z2;
      block[at + 3 * step] = z13 - z2;
      block[at + step] = z11 + z4;
      block[at + 7 * step] = z11 - z4;
    }
  }
}

function encodeBlock(writer: JpegBitWriter, block: Int32Array, component: Component): void {
  const dc = block[0] ?? 0;
  writeValue(writer, component.dc, 0, dc - component.previousDc);
  component.previousDc = dc;
  let zeros = 0;
  for (let k = 1; k < 64; k++) {
    const value = block[k] ?? 0;
    if (value === 0) {
      zeros++;
      continue;
    }
    for (; zeros >= 16; zeros -= 16) writer.write(component.ac.codes[0xf0] ?? 0, component.ac.lengths[0xf0] ?? 0);
    writeValue(writer, component.ac, zeros, value);
    zeros = 0;
  }
  if (zeros > 0) writer.write(component.ac.codes[0] ?? 0, component.ac.lengths[0] ?? 0);
}

/** Symbol (zero run, bit size) then the value's bits; negative values are stored as value - 1 in that size. */
function writeValue(writer: JpegBitWriter, table: CodeTable, zeroRun: number, value: number): void {
  const size = 32 - Math.clz32(Math.abs(value));
  const symbol = (zeroRun << 4) | size;
  writer.write(table.codes[symbol] ?? 0, table.lengths[symbol] ?? 0);
  if (size > 0) writer.write((value < 0 ? value - 1 : value) & ((1 << size) - 1), size);
}

function zigzagOrder(): number[] {
  const order: number[] = [];
  for (let diagonal = 0; diagonal < 15; diagonal++) {
    const first = Math.max(0, diagonal - 7);
    const last = Math.min(diagonal, 7);
    for (let i = first; i <= last; i++) {
      // Even diagonals run bottom-left to top-right, odd ones the other way.
      const row = diagonal % 2 === 0 ? last - (i - first) : i;
      order.push(row * 8 + (diagonal - row));
    }
  }
  return order;
}

/** Most significant bit first; a 0xFF byte in the data is followed by 0x00 so it cannot read as a marker. */
class JpegBitWriter {
  readonly #out = new ByteSink();
  #buffer = 0;
  #bits = 0;

  write(code: number, length: number): void {
    this.#buffer = (this.#buffer << length) | code;
    this.#bits += length;
    while (this.#bits >= 8) {
      const byte = (this.#buffer >>> (this.#bits - 8)) & 0xff;
      this.#out.push(byte);
      if (byte === 0xff) this.#out.push(0);
      this.#bits -= 8;
    }
    this.#buffer &= (1 << this.#bits) - 1;
  }

  /** Pads the last byte with 1 bits, as the standard asks. */
  finish(): Uint8Array<ArrayBuffer> {
    if (this.#bits > 0) this.write((1 << (8 - this.#bits)) - 1, 8 - this.#bits);
    return this.#out.bytes();
  }
}
