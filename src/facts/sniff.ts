import type { SourceFormat } from "./facts.ts";
import { heifBrand } from "./heif-boxes.ts";
import { looksLikeSvg } from "./svg-size.ts";

/**
 * The format by the file's first bytes, as the upstream decides it: the name and the declared
 * content type say nothing. Undefined for anything the upstream would not store.
 */
export function sniffFormat(bytes: Uint8Array): SourceFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "JPEG";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "PNG";
  const head = String.fromCharCode(...bytes.subarray(0, 12));
  if (head.startsWith("GIF87a") || head.startsWith("GIF89a")) return "GIF";
  if (head.startsWith("RIFF") && head.slice(8, 12) === "WEBP") return "WEBP";
  const heif = heifBrand(bytes);
  if (heif) return heif;
  if (looksLikeSvg(bytes)) return "SVG";
  return undefined;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}
