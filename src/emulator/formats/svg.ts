/**
 * SVG is text, so "magic bytes" means: after an optional BOM, XML declaration, comments, processing
 * instructions and doctype, the first element is `<svg`. Its size is what a browser gives an
 * `<img>` of it: absolute `width`/`height` (plain numbers or px), a missing side derived from the
 * `viewBox` aspect ratio, the `viewBox` size when both are missing, and otherwise the CSS default
 * replaced-element size of 300x150. Relative units (%, em…) count as missing.
 */

export interface SvgSize {
  width: number;
  height: number;
}

/** The root element must start within this many bytes (comments and doctype included). */
const SNIFF_BYTES = 64 * 1024;
const DEFAULT_WIDTH = 300;
const DEFAULT_HEIGHT = 150;

export function svgSize(bytes: Uint8Array): SvgSize | undefined {
  // The decoder drops a UTF-8 byte order mark.
  const text = new TextDecoder().decode(bytes.subarray(0, SNIFF_BYTES));
  const start = skipProlog(text);
  if (start === undefined || !/^<svg[\s/>]/.test(text.slice(start, start + 5))) return undefined;
  const tag = startTag(text, start);
  if (tag === undefined) return undefined;
  return intrinsicSize(attributes(tag));
}

function skipProlog(text: string): number | undefined {
  let at = 0;
  for (;;) {
    while (at < text.length && /\s/.test(text.charAt(at))) at++;
    let end: number;
    if (text.startsWith("<?", at)) end = after(text, "?>", at);
    else if (text.startsWith("<!--", at)) end = after(text, "-->", at + 4);
    else if (text.slice(at, at + 9).toUpperCase() === "<!DOCTYPE") end = afterDoctype(text, at);
    else return at;
    if (end < 0) return undefined;
    at = end;
  }
}

/** Index just past the next `token`, or -1. */
function after(text: string, token: string, from: number): number {
  const found = text.indexOf(token, from);
  return found < 0 ? -1 : found + token.length;
}

/** A doctype may carry an internal subset in brackets, which can contain `>`. */
function afterDoctype(text: string, from: number): number {
  const close = text.indexOf(">", from);
  const subset = text.indexOf("[", from);
  if (subset < 0 || close < subset) return close < 0 ? -1 : close + 1;
  const subsetEnd = text.indexOf("]", subset);
  return subsetEnd < 0 ? -1 : after(text, ">", subsetEnd);
}

/** The text of the `<svg ...>` start tag, honouring quoted attribute values. */
function startTag(text: string, from: number): string | undefined {
  let quote: string | undefined;
  for (let at = from; at < text.length; at++) {
    const char = text.charAt(at);
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === ">") {
      return text.slice(from, at + 1);
    }
  }
  return undefined;
}

function attributes(tag: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of tag.matchAll(/([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    found.set(match[1] ?? "", match[2] ?? match[3] ?? "");
  }
  return found;
}

function intrinsicSize(attrs: Map<string, string>): SvgSize {
  let width = absoluteLength(attrs.get("width"));
  let height = absoluteLength(attrs.get("height"));
  const viewBox = viewBoxSize(attrs.get("viewBox"));
  if (viewBox) {
    if (width === undefined && height === undefined) ({ width, height } = viewBox);
    else if (width === undefined && height !== undefined) width = (height * viewBox.width) / viewBox.height;
    else if (height === undefined && width !== undefined) height = (width * viewBox.height) / viewBox.width;
  }
  return { width: pixels(width ?? DEFAULT_WIDTH), height: pixels(height ?? DEFAULT_HEIGHT) };
}

function absoluteLength(value: string | undefined): number | undefined {
  const match = /^\s*([+]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(?:px)?\s*$/i.exec(value ?? "");
  const length = Number(match?.[1]);
  return match && Number.isFinite(length) && length > 0 ? length : undefined;
}

function viewBoxSize(value: string | undefined): SvgSize | undefined {
  const numbers = (value ?? "")
    .trim()
    .split(/[\s,]+/)
    .map(Number);
  const [, , width = 0, height = 0] = numbers;
  if (numbers.length !== 4 || numbers.some((n) => !Number.isFinite(n)) || width <= 0 || height <= 0) return undefined;
  return { width, height };
}

function pixels(length: number): number {
  return Math.max(1, Math.round(length));
}
