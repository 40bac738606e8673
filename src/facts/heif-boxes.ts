/**
 * The displayed size of a HEIF image (HEIC, AVIF) from its ISO-BMFF boxes alone: the primary
 * item's `ispe` (image spatial extent) property, turned by its `irot`. Used where no decoder can
 * open the file (the prebuilt libvips reads AVIF but has no HEVC decoder for HEIC).
 */
export interface HeifExtent {
  brand: "AVIF" | "HEIC";
  width: number;
  height: number;
}

interface Box {
  type: string;
  /** First byte of the payload. */
  start: number;
  end: number;
}

const AVIF_BRANDS = new Set(["avif", "avis"]);
const HEIC_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"]);

/** The brand when the bytes start with an `ftyp` box naming AVIF or HEIC; undefined otherwise. */
export function heifBrand(bytes: Uint8Array): HeifExtent["brand"] | undefined {
  const ftyp = childBoxes(bytes, 0, Math.min(bytes.length, 4096))[0];
  if (ftyp?.type !== "ftyp" || ftyp.start !== 8) return undefined;
  const brands = [text(bytes, ftyp.start, 4)];
  for (let at = ftyp.start + 8; at + 4 <= ftyp.end; at += 4) brands.push(text(bytes, at, 4));
  // The major brand decides; a generic one (`mif1`, `msf1`) defers to the first codec brand listed.
  for (const brand of brands) {
    if (AVIF_BRANDS.has(brand)) return "AVIF";
    if (HEIC_BRANDS.has(brand)) return "HEIC";
  }
  return undefined;
}

export function heifExtent(bytes: Uint8Array): HeifExtent | undefined {
  const brand = heifBrand(bytes);
  if (!brand) return undefined;
  const meta = childBoxes(bytes, 0, bytes.length).find((box) => box.type === "meta");
  if (!meta) return undefined;
  // `meta` is a full box: version and flags come before its children.
  const children = childBoxes(bytes, meta.start + 4, meta.end);
  const pitm = children.find((box) => box.type === "pitm");
  const iprp = children.find((box) => box.type === "iprp");
  if (!iprp) return undefined;
  const iprpChildren = childBoxes(bytes, iprp.start, iprp.end);
  const ipco = iprpChildren.find((box) => box.type === "ipco");
  if (!ipco) return undefined;
  const properties = childBoxes(bytes, ipco.start, ipco.end);
  const primary = pitm ? primaryItem(bytes, pitm) : undefined;
  const ipma = iprpChildren.find((box) => box.type === "ipma");
  const owned = primary !== undefined && ipma ? associations(bytes, ipma).get(primary) : undefined;
  const mine = owned ? owned.map((index) => properties[index - 1]).filter((box) => box !== undefined) : properties;
  const ispe = mine.filter((box) => box.type === "ispe").map((box) => extentOf(bytes, box));
  // Without associations, the largest extent is the image (the others are thumbnails or tiles).
  const extent = ispe.filter((size) => size !== undefined).sort((a, b) => b.width * b.height - a.width * a.height)[0];
  if (!extent) return undefined;
  const irot = owned ? mine.find((box) => box.type === "irot") : undefined;
  const quarterTurns = irot && irot.end > irot.start ? (bytes[irot.start] ?? 0) & 3 : 0;
  return quarterTurns % 2 === 1
    ? { brand, width: extent.height, height: extent.width }
    : { brand, width: extent.width, height: extent.height };
}

function primaryItem(bytes: Uint8Array, pitm: Box): number | undefined {
  const version = bytes[pitm.start] ?? 0;
  const at = pitm.start + 4;
  if (version === 0) return at + 2 <= pitm.end ? u16(bytes, at) : undefined;
  return at + 4 <= pitm.end ? u32(bytes, at) : undefined;
}

/** `ipma`: item id → 1-based indexes into `ipco`. */
function associations(bytes: Uint8Array, ipma: Box): Map<number, number[]> {
  const version = bytes[ipma.start] ?? 0;
  const wideIndex = ((bytes[ipma.start + 3] ?? 0) & 1) === 1;
  const byItem = new Map<number, number[]>();
  let at = ipma.start + 4;
  if (at + 4 > ipma.end) return byItem;
  const entries = u32(bytes, at);
  at += 4;
  for (let entry = 0; entry < entries && at < ipma.end; entry += 1) {
    const idBytes = version < 1 ? 2 : 4;
    if (at + idBytes + 1 > ipma.end) break;
    const item = idBytes === 2 ? u16(bytes, at) : u32(bytes, at);
    at += idBytes;
    const count = bytes[at] ?? 0;
    at += 1;
    const indexes: number[] = [];
    for (let i = 0; i < count; i += 1) {
      if (wideIndex) {
        if (at + 2 > ipma.end) break;
        indexes.push(u16(bytes, at) & 0x7fff);
        at += 2;
      } else {
        if (at + 1 > ipma.end) break;
        indexes.push((bytes[at] ?? 0) & 0x7f);
        at += 1;
      }
    }
    byItem.set(item, indexes);
  }
  return byItem;
}

function extentOf(bytes: Uint8Array, ispe: Box): { width: number; height: number } | undefined {
  // Full box (4 bytes of version and flags), then width and height as 32-bit integers.
  if (ispe.start + 12 > ispe.end) return undefined;
  const width = u32(bytes, ispe.start + 4);
  const height = u32(bytes, ispe.start + 8);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** The boxes between `from` and `to`; stops at the first one that does not fit (a truncated file). */
function childBoxes(bytes: Uint8Array, from: number, to: number): Box[] {
  const found: Box[] = [];
  let at = from;
  // A real file has a few dozen boxes per level; a bound keeps a hostile one from taking long.
  while (at + 8 <= to && found.length < 1024) {
    let size = u32(bytes, at);
    const type = text(bytes, at + 4, 4);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) break;
      const high = u32(bytes, at + 8);
      if (high !== 0) break;
      size = u32(bytes, at + 12);
      header = 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < header || at + size > to) break;
    found.push({ type, start: at + header, end: at + size });
    at += size;
  }
  return found;
}

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

function u32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] ?? 0) << 24) >>> 0) +
    (((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0))
  );
}

function text(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}
