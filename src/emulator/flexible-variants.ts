/**
 * The options of a flexible variant, the variant slot of a delivery URL written as
 * `w=320,fit=cover`: comma-separated `name=value` pairs, no spaces, at least one, names in full or
 * abbreviated, as Cloudflare's transformation options are documented.
 */

type Check = (value: string) => boolean;

const POSITIVE_INTEGER = /^[1-9]\d*$/;
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;

const oneOf =
  (...allowed: string[]): Check =>
  (value) =>
    allowed.includes(value);
const integerIn =
  (min: number, max: number): Check =>
  (value) =>
    POSITIVE_INTEGER.test(value) && Number(value) >= min && Number(value) <= max;
const decimalIn =
  (min: number, max: number): Check =>
  (value) =>
    DECIMAL.test(value) && Number(value) >= min && Number(value) <= max;
const either =
  (...checks: Check[]): Check =>
  (value) =>
    checks.some((check) => check(value));

/** Upload limit of the longest side; no larger output is meaningful. */
const MAX_SIDE = 12_000;
const UNIT = decimalIn(0, 1);
const FACTOR = decimalIn(0, 100);
const PIXELS = decimalIn(0, MAX_SIDE);
const PERCEPTUAL_QUALITY = oneOf("high", "medium-high", "medium-low", "low");

interface OptionRule {
  name: string;
  aliases?: string[];
  check: Check;
  /** What a valid value looks like, for the error message. */
  expected: string;
}

const RULES: OptionRule[] = [
  {
    name: "width",
    aliases: ["w"],
    check: either(integerIn(1, MAX_SIDE), oneOf("auto")),
    expected: "1 to 12000 or auto",
  },
  { name: "height", aliases: ["h"], check: integerIn(1, MAX_SIDE), expected: "1 to 12000" },
  {
    name: "fit",
    check: oneOf("scale-down", "contain", "cover", "crop", "pad", "squeeze", "aspect-crop"),
    expected: "scale-down, contain, cover, crop, pad, squeeze or aspect-crop",
  },
  {
    name: "quality",
    aliases: ["q"],
    check: either(integerIn(1, 100), PERCEPTUAL_QUALITY),
    expected: "1 to 100, high, medium-high, medium-low or low",
  },
  {
    name: "format",
    aliases: ["f"],
    check: oneOf("auto", "avif", "webp", "jpeg", "baseline-jpeg", "json"),
    expected: "auto, avif, webp, jpeg, baseline-jpeg or json",
  },
  { name: "dpr", check: (value) => decimalIn(0, 10)(value) && Number(value) > 0, expected: "a number above 0" },
  {
    name: "gravity",
    aliases: ["g"],
    check: either(oneOf("auto", "face", "left", "right", "top", "bottom"), (value) => {
      const [x, y, ...rest] = value.split("x");
      return rest.length === 0 && x !== undefined && y !== undefined && UNIT(x) && UNIT(y);
    }),
    expected: "auto, face, left, right, top, bottom or XxY with X and Y from 0 to 1",
  },
  { name: "metadata", check: oneOf("keep", "copyright", "none"), expected: "keep, copyright or none" },
  { name: "anim", check: oneOf("true", "false"), expected: "true or false" },
  // Any CSS colour: too wide to check here beyond "something", as `#` must arrive encoded.
  { name: "background", check: (value) => /^[#\w(),.%-]+$/.test(value), expected: "a CSS colour" },
  { name: "blur", check: decimalIn(1, 250), expected: "1 to 250" },
  { name: "brightness", check: FACTOR, expected: "a factor, 1 for no change" },
  { name: "contrast", check: FACTOR, expected: "a factor, 1 for no change" },
  { name: "gamma", check: FACTOR, expected: "a factor, 1 for no change" },
  { name: "saturation", check: FACTOR, expected: "a factor, 1 for no change, 0 for greyscale" },
  { name: "sharpen", check: decimalIn(0, 10), expected: "0 to 10" },
  { name: "rotate", check: oneOf("90", "180", "270"), expected: "90, 180 or 270" },
  { name: "flip", check: oneOf("h", "v", "hv"), expected: "h, v or hv" },
  { name: "zoom", aliases: ["face-zoom"], check: UNIT, expected: "0 to 1" },
  {
    name: "trim",
    check: (value) => {
      const sides = value.split(";");
      return sides.length === 4 && sides.every(PIXELS);
    },
    expected: "top;right;bottom;left in pixels",
  },
  { name: "trim.width", check: PIXELS, expected: "pixels" },
  { name: "trim.height", check: PIXELS, expected: "pixels" },
  { name: "trim.left", check: PIXELS, expected: "pixels" },
  { name: "trim.top", check: PIXELS, expected: "pixels" },
  { name: "compression", check: oneOf("fast"), expected: "fast" },
  { name: "onerror", check: oneOf("redirect"), expected: "redirect" },
  { name: "segment", check: oneOf("foreground"), expected: "foreground" },
];

const RULE_BY_NAME = new Map<string, OptionRule>(
  RULES.flatMap((rule) => [rule.name, ...(rule.aliases ?? [])].map((name) => [name, rule] as const)),
);

export type FlexibleOptions = Readonly<Record<string, string>>;

/** Variant names never hold `=`, so a slot with one can only be options. */
export function looksLikeFlexibleVariant(slot: string): boolean {
  return slot.includes("=");
}

/** The options by their full names, or the reason they are refused. */
export function parseFlexibleOptions(slot: string): { options: FlexibleOptions } | { error: string } {
  if (slot === "" || /\s/.test(slot))
    return { error: "Options must be comma-separated name=value pairs, without spaces" };
  const options: Record<string, string> = {};
  for (const pair of splitOptions(slot)) {
    const equals = pair.indexOf("=");
    if (equals <= 0) return { error: `"${pair}" is not a name=value option` };
    const name = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    const rule = RULE_BY_NAME.get(name);
    if (!rule) return { error: `Unknown option "${name}"` };
    if (options[rule.name] !== undefined) return { error: `Option "${rule.name}" is given more than once` };
    if (!rule.check(value))
      return { error: `Invalid value "${value}" for option "${rule.name}": expected ${rule.expected}` };
    options[rule.name] = value;
  }
  return { options };
}

/** Splits at commas outside parentheses, so `background=rgba(0,0,0,0.5)` stays one option. */
function splitOptions(slot: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < slot.length; i++) {
    const char = slot[i];
    if (char === "(") depth += 1;
    else if (char === ")") depth = Math.max(0, depth - 1);
    else if (char === "," && depth === 0) {
      parts.push(slot.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(slot.slice(start));
  return parts;
}
