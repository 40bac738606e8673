import { apiErrors } from "./errors.ts";

/**
 * Limits of the v2 list's metadata filters: 5 filters, 5 levels deep, 10 values per `in` (Cloudflare
 * API reference).
 */
export const META_FILTER_LIMITS = { filters: 5, depth: 5, inValues: 10 } as const;

/** One `meta.<path>[<operator>]=<value>` query parameter, compiled. */
export interface MetaFilter {
  parameter: string;
  path: string[];
  accepts(value: unknown): boolean;
}

type Compile = (value: string, parameter: string) => (stored: unknown) => boolean;

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const untypedEquals = (stored: unknown, text: string): boolean =>
  stored === text ||
  (typeof stored === "number" && NUMBER.test(text) && stored === Number(text)) ||
  (typeof stored === "boolean" && String(stored) === text);

const range =
  (holds: (stored: number, bound: number) => boolean): Compile =>
  (value, parameter) => {
    const bound = numberValue(value, parameter);
    return (stored) => typeof stored === "number" && holds(stored, bound);
  };

/**
 * Untyped `eq` and `in` match a stored string, number or boolean whose text is the value
 * (`5` matches both `5` and `"5"`); the typed forms match only that type. Range operators only
 * ever match stored numbers.
 */
const OPERATORS: Record<string, Compile> = {
  eq: (value) => (stored) => untypedEquals(stored, value),
  "eq:string": (value) => (stored) => stored === value,
  "eq:number": (value, parameter) => {
    const wanted = numberValue(value, parameter);
    return (stored) => stored === wanted;
  },
  "eq:boolean": (value, parameter) => {
    if (value !== "true" && value !== "false") throw filterError(parameter, "eq:boolean needs true or false");
    return (stored) => stored === (value === "true");
  },
  gt: range((stored, bound) => stored > bound),
  gte: range((stored, bound) => stored >= bound),
  lt: range((stored, bound) => stored < bound),
  lte: range((stored, bound) => stored <= bound),
  in: (value, parameter) => {
    const wanted = listValues(value, parameter);
    return (stored) => wanted.some((text) => untypedEquals(stored, text));
  },
  "in:string": (value, parameter) => {
    const wanted = listValues(value, parameter);
    return (stored) => typeof stored === "string" && wanted.includes(stored);
  },
  "in:number": (value, parameter) => {
    const wanted = listValues(value, parameter).map((text) => numberValue(text, parameter));
    return (stored) => typeof stored === "number" && wanted.includes(stored);
  },
};
for (const operator of ["gt", "gte", "lt", "lte"]) OPERATORS[`${operator}:number`] = OPERATORS[operator] as Compile;

const FILTER_KEY = /^meta\.([^[\]]+)\[([^[\]]*)\]$/;

/** The metadata filters of a v2 list query; anything malformed or over a limit is a 400 naming the filter. */
export function parseMetaFilters(query: URLSearchParams): MetaFilter[] {
  const filters: MetaFilter[] = [];
  for (const [parameter, value] of query) {
    if (parameter !== "meta" && !parameter.startsWith("meta.") && !parameter.startsWith("meta[")) continue;
    if (filters.length === META_FILTER_LIMITS.filters) {
      throw filterError(parameter, `at most ${META_FILTER_LIMITS.filters} metadata filters are allowed per request`);
    }
    const match = FILTER_KEY.exec(parameter);
    if (!match) throw filterError(parameter, "use meta.<field>[<operator>]=<value>");
    const [, dottedPath = "", operator = ""] = match;
    const path = dottedPath.split(".");
    if (path.some((segment) => segment === "")) throw filterError(parameter, "the field path has an empty segment");
    if (path.length > META_FILTER_LIMITS.depth) {
      throw filterError(parameter, `the field path is nested more than ${META_FILTER_LIMITS.depth} levels`);
    }
    const compile = OPERATORS[operator];
    if (!compile) throw filterError(parameter, `unknown operator "${operator}"`);
    filters.push({ parameter, path, accepts: compile(value, parameter) });
  }
  return filters;
}

/** Filters combine with AND; a path that does not lead to a value matches nothing. */
export function matchesMetaFilters(meta: Record<string, unknown>, filters: readonly MetaFilter[]): boolean {
  return filters.every((filter) => {
    let value: unknown = meta;
    for (const segment of filter.path) {
      if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) {
        return false;
      }
      value = (value as Record<string, unknown>)[segment];
    }
    return filter.accepts(value);
  });
}

function numberValue(text: string, parameter: string): number {
  if (!NUMBER.test(text)) throw filterError(parameter, `"${text}" is not a number`);
  return Number(text);
}

function listValues(value: string, parameter: string): string[] {
  const values = value.split("|");
  if (values.length > META_FILTER_LIMITS.inValues) {
    throw filterError(parameter, `an in list holds at most ${META_FILTER_LIMITS.inValues} values`);
  }
  return values;
}

function filterError(parameter: string, problem: string) {
  return apiErrors.badRequest(`Invalid metadata filter "${parameter}": ${problem}`);
}
