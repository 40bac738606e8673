/**
 * Bounds-tolerant readers for header parsing: a read past the end yields zeros instead of
 * throwing, so detectors only need to check lengths where a value matters.
 */

export function be16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

export function be32(bytes: Uint8Array, offset: number): number {
  return (be16(bytes, offset) * 0x10000 + be16(bytes, offset + 2)) >>> 0;
}

export function le16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);
}

export function le24(bytes: Uint8Array, offset: number): number {
  return le16(bytes, offset) | ((bytes[offset + 2] ?? 0) << 16);
}

export function le32(bytes: Uint8Array, offset: number): number {
  return (le16(bytes, offset) + le16(bytes, offset + 2) * 0x10000) >>> 0;
}

/** Latin-1 text of `length` bytes, for four-character codes and signatures. */
export function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}
