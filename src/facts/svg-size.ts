/**
 * An SVG's size from its root element's `width`, `height` and `viewBox`, read as text: nothing is
 * parsed as XML, so no entity is expanded and nothing external is ever loaded.
 */
export interface SvgSize {
  width: number;
  height: number;
}

/** The root element is looked for within this many leading bytes (prolog, comments, doctype). */
const ROOT_WITHIN_BYTES = 64 * 1024;

/** CSS absolute units in px (https://www.w3.org/TR/css-values-3/#absolute-lengths). */
const UNIT_PX: Record<string, number> = {
  "": 1,
  px: 1,
  pt: 4 / 3,
  pc: 16,
  in: 96,
  cm: 96 / 2.54,
  mm: 96 / 25.4,
  q: 96 / 101.6,
};

export class SvgSizeError extends Error {}

export function looksLikeSvg(bytes: Uint8Array): boolean {
  return rootTag(prefixText(bytes)) !== undefined;
}

export function svgSize(bytes: Uint8Array): SvgSize {
  const tag = rootTag(prefixText(bytes));
  if (tag === undefined) throw new SvgSizeError("The file has no <svg> root element.");
  const width = length(attribute(tag, "width"));
  const height = length(attribute(tag, "height"));
  const box = viewBox(attribute(tag, "viewBox"));
  const ratio = box ? box.width / box.height : undefined;
  const w = width ?? (height !== undefined && ratio ? height * ratio : box?.width);
  const h = height ?? (width !== undefined && ratio ? width / ratio : box?.height);
  if (w === undefined || h === undefined) {
    throw new SvgSizeError("The SVG gives neither an absolute width and height nor a viewBox.");
  }
  return { width: Math.max(1, Math.round(w)), height: Math.max(1, Math.round(h)) };
}

function prefixText(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, ROOT_WITHIN_BYTES)).replace(/^\uFEFF/, "");
}

/** The `<svg …>` start tag, when it is the first element after the prolog. */
function rootTag(text: string): string | undefined {
  let at = 0;
  for (;;) {
    while (at < text.length && /\s/.test(text[at] ?? "")) at += 1;
    if (text.startsWith("<?", at)) at = after(text, "?>", at);
    else if (text.startsWith("<!--", at)) at = after(text, "-->", at);
    else if (/^<!DOCTYPE/i.test(text.slice(at, at + 9))) {
      // An internal subset can declare entities (billion laughs, external files): such a file is refused.
      const end = text.indexOf(">", at);
      if (end < 0 || text.slice(at, end).includes("[")) return undefined;
      at = end + 1;
    } else break;
    if (at < 0) return undefined;
  }
  const match = /^<svg(?=[\s>/])[^>]*>/.exec(text.slice(at, at + 16 * 1024));
  return match?.[0];
}

function after(text: string, end: string, from: number): number {
  const at = text.indexOf(end, from);
  return at < 0 ? -1 : at + end.length;
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(tag);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** An absolute length in px; undefined for none, percentages and font-relative units. */
function length(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^\s*(\d*\.?\d+(?:e[+-]?\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!match) return undefined;
  const factor = UNIT_PX[(match[2] ?? "").toLowerCase()];
  const number = Number(match[1]);
  return factor === undefined || !(number > 0) || !Number.isFinite(number) ? undefined : number * factor;
}

function viewBox(value: string | undefined): SvgSize | undefined {
  if (value === undefined) return undefined;
  const parts = value
    .trim()
    .split(/[\s,]+/)
    .map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) return undefined;
  const [, , width = 0, height = 0] = parts;
  return width > 0 && height > 0 ? { width, height } : undefined;
}
