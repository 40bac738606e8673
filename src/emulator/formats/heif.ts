import { ascii, be16, be32 } from "./read.ts";

/**
 * AVIF and HEIC are both HEIF: ISO-BMFF boxes starting with `ftyp`, whose brands say which codec.
 * The pixel size is in the `ispe` (image spatial extent) properties under `meta/iprp/ipco`.
 */
export interface HeifImage {
  format: "avif" | "heic";
  width: number;
  height: number;
}

interface Box {
  type: string;
  /** Where the payload starts (after size, type and any 64-bit size). */
  start: number;
  end: number;
}

const AVIF_BRANDS = new Set(["avif", "avis"]);
const HEIC_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"]);

export function heifImage(bytes: Uint8Array): HeifImage | undefined {
  if (ascii(bytes, 4, 4) !== "ftyp") return undefined;
  const [ftyp] = boxes(bytes, 0, bytes.length);
  if (ftyp?.type !== "ftyp" || ftyp.start !== 8) return undefined;
  const format = formatOfBrands(bytes, ftyp);
  if (!format) return undefined;
  const size = primaryExtent(bytes);
  return size && { format, ...size };
}

/**
 * The major brand decides; a generic major brand (`mif1`, `msf1`, `miaf`…) defers to the first
 * codec brand among the compatible ones.
 */
function formatOfBrands(bytes: Uint8Array, ftyp: Box): HeifImage["format"] | undefined {
  const brands = [ascii(bytes, ftyp.start, 4)];
  // Skip the 4-byte minor version after the major brand.
  for (let at = ftyp.start + 8; at + 4 <= ftyp.end; at += 4) brands.push(ascii(bytes, at, 4));
  for (const brand of brands) {
    if (AVIF_BRANDS.has(brand)) return "avif";
    if (HEIC_BRANDS.has(brand)) return "heic";
  }
  return undefined;
}

/**
 * Several `ispe` may exist (grid tiles, thumbnails, alpha planes): the size is the one associated
 * (through `ipma`) with the primary item named by `pitm`. Without those boxes, the first `ispe`.
 */
function primaryExtent(bytes: Uint8Array): { width: number; height: number } | undefined {
  const meta = boxes(bytes, 0, bytes.length).find((box) => box.type === "meta");
  if (!meta) return undefined;
  // `meta` is a full box: 4 bytes of version and flags precede its children.
  const inMeta = boxes(bytes, meta.start + 4, meta.end);
  const iprp = inMeta.find((box) => box.type === "iprp");
  const inIprp = iprp ? boxes(bytes, iprp.start, iprp.end) : [];
  const ipco = inIprp.find((box) => box.type === "ipco");
  const properties = ipco ? boxes(bytes, ipco.start, ipco.end) : [];
  const pitm = inMeta.find((box) => box.type === "pitm");
  const ipma = inIprp.find((box) => box.type === "ipma");
  const primary = pitm && ipma ? propertiesOf(bytes, ipma, primaryItem(bytes, pitm)) : undefined;
  const candidates = primary ? primary.map((index) => properties[index - 1]) : properties;
  const ispe = candidates.find((box) => box?.type === "ispe" && box.end - box.start >= 12);
  return ispe && { width: be32(bytes, ispe.start + 4), height: be32(bytes, ispe.start + 8) };
}

function primaryItem(bytes: Uint8Array, pitm: Box): number {
  return bytes[pitm.start] === 0 ? be16(bytes, pitm.start + 4) : be32(bytes, pitm.start + 4);
}

/** 1-based `ipco` indices of the properties `ipma` associates with `item`. */
function propertiesOf(bytes: Uint8Array, ipma: Box, item: number): number[] | undefined {
  const version = bytes[ipma.start] ?? 0;
  const wideIndices = ((bytes[ipma.start + 3] ?? 0) & 1) === 1;
  const entries = be32(bytes, ipma.start + 4);
  let at = ipma.start + 8;
  for (let entry = 0; entry < entries && at < ipma.end; entry++) {
    const id = version < 1 ? be16(bytes, at) : be32(bytes, at);
    at += version < 1 ? 2 : 4;
    const count = bytes[at] ?? 0;
    at += 1;
    const indices: number[] = [];
    for (let i = 0; i < count; i++) {
      // The top bit marks the property "essential"; the rest is the index.
      indices.push(wideIndices ? be16(bytes, at) & 0x7fff : (bytes[at] ?? 0) & 0x7f);
      at += wideIndices ? 2 : 1;
    }
    if (at > ipma.end) return undefined;
    if (id === item) return indices;
  }
  return undefined;
}

/** The boxes laid end to end in `[from, to)`; stops at the first one that is malformed or truncated. */
function boxes(bytes: Uint8Array, from: number, to: number): Box[] {
  const found: Box[] = [];
  let at = from;
  while (at + 8 <= to) {
    const size = be32(bytes, at);
    const type = ascii(bytes, at + 4, 4);
    let start = at + 8;
    let end: number;
    if (size === 1) {
      // A 64-bit size follows the type.
      end = at + be32(bytes, at + 8) * 0x1_0000_0000 + be32(bytes, at + 12);
      start += 8;
    } else {
      // Size 0 means "to the end of the enclosing space".
      end = size === 0 ? to : at + size;
    }
    if (end < start || end > to) break;
    found.push({ type, start, end });
    at = end;
  }
  return found;
}
