import { inputError } from "../errors.ts";
import type { SortOrder } from "../upstream/index.ts";
import {
  type CatalogueFilter,
  type CatalogueMetaFilter,
  type CatalogueOrder,
  isCatalogueMetaOperator,
  type NumberRange,
  type OrderField,
} from "./model.ts";

export const MAX_SEARCH_CHARS = 200;
const MAX_SEARCH_TERMS = 10;
const MAX_FILENAME_CHARS = 255;

/** The `images` arguments the catalogue reads, as the schema passes them. */
export interface CatalogueArgs {
  search?: string | null;
  filter?: {
    creator?: string | null;
    filename?: string | null;
    uploaded?: { after?: Date | null; before?: Date | null } | null;
    requireSignedURLs?: boolean | null;
    meta?: readonly { op: string }[] | null;
    width?: RangeArg | null;
    height?: RangeArg | null;
    byteSize?: RangeArg | null;
    sourceFormat?: readonly string[] | null;
  } | null;
  orderBy?: { field: OrderField; direction?: SortOrder | null } | null;
}

/** An inclusive range of a fact, as the schema's `IntRange` passes it. */
export interface RangeArg {
  min?: number | null;
  max?: number | null;
}

/**
 * Whether only the catalogue can answer: a search, a filter or a metadata operator the upstream list
 * lacks, or an order other than upload time. Anything else keeps going to the upstream list, as without a catalogue.
 */
export function needsCatalogue(args: CatalogueArgs): boolean {
  const filter = args.filter ?? {};
  return (
    args.search != null ||
    filter.filename != null ||
    filter.uploaded != null ||
    filter.requireSignedURLs != null ||
    (filter.meta ?? []).some((condition) => isCatalogueMetaOperator(condition.op)) ||
    filter.width != null ||
    filter.height != null ||
    filter.byteSize != null ||
    filter.sourceFormat != null ||
    (args.orderBy != null && args.orderBy.field !== "uploaded")
  );
}

/** The catalogue's query for these arguments; bad input is BAD_USER_INPUT before the store is asked. */
export function catalogueQuery(
  args: CatalogueArgs,
  meta: readonly CatalogueMetaFilter[],
  sortOrder: SortOrder,
): { filter: CatalogueFilter; order: CatalogueOrder } {
  const filter = args.filter ?? {};
  const uploaded = filter.uploaded ?? {};
  if (uploaded.after && uploaded.before && uploaded.after.getTime() >= uploaded.before.getTime()) {
    throw inputError("filter.uploaded: `after` must be earlier than `before`.", { argument: "filter.uploaded" });
  }
  return {
    filter: {
      ...(args.search != null ? { terms: searchTerms(args.search) } : {}),
      ...(filter.creator != null ? { creator: filter.creator } : {}),
      ...(filter.filename != null
        ? { filename: checkedText(filter.filename, "filter.filename", MAX_FILENAME_CHARS) }
        : {}),
      ...(uploaded.after ? { uploadedAfter: uploaded.after } : {}),
      ...(uploaded.before ? { uploadedBefore: uploaded.before } : {}),
      ...(filter.requireSignedURLs != null ? { requireSignedURLs: filter.requireSignedURLs } : {}),
      ...(meta.length > 0 ? { meta } : {}),
      ...factFilter(filter),
    },
    order: args.orderBy
      ? { field: args.orderBy.field, direction: args.orderBy.direction ?? "desc" }
      : { field: "uploaded", direction: sortOrder },
  };
}

/** Words of a search, each of which must be found; every character is taken as itself. */
function searchTerms(search: string): string[] {
  const terms = checkedText(search, "search", MAX_SEARCH_CHARS).toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length > MAX_SEARCH_TERMS) {
    throw inputError(`\`search\` takes at most ${MAX_SEARCH_TERMS} words.`, { argument: "search" });
  }
  return terms;
}

function checkedText(text: string, argument: string, maxChars: number): string {
  const trimmed = text.trim();
  if (trimmed === "") throw inputError(`\`${argument}\` must not be empty.`, { argument });
  if ([...trimmed].length > maxChars) {
    throw inputError(`\`${argument}\` takes at most ${maxChars} characters.`, { argument });
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\u0000-\u001f\u007f]/.test(trimmed) || !trimmed.isWellFormed()) {
    throw inputError(`\`${argument}\` must be text without control characters.`, { argument });
  }
  return trimmed;
}

/** The facts conditions: ranges with at least one end, neither negative, `min` not above `max`. */
function factFilter(filter: NonNullable<CatalogueArgs["filter"]>): Partial<CatalogueFilter> {
  const out: { -readonly [K in keyof CatalogueFilter]?: CatalogueFilter[K] } = {};
  for (const name of ["width", "height", "byteSize"] as const) {
    const range = filter[name];
    if (range != null) out[name] = checkedRange(range, `filter.${name}`);
  }
  if (filter.sourceFormat != null) {
    if (filter.sourceFormat.length === 0) {
      throw inputError("`filter.sourceFormat` needs at least one format.", { argument: "filter.sourceFormat" });
    }
    out.sourceFormats = [...new Set(filter.sourceFormat)];
  }
  return out;
}

function checkedRange(range: RangeArg, argument: string): NumberRange {
  const { min, max } = range;
  if (min == null && max == null) throw inputError(`\`${argument}\` needs \`min\`, \`max\` or both.`, { argument });
  if ((min != null && min < 0) || (max != null && max < 0)) {
    throw inputError(`\`${argument}\` takes no negative bounds.`, { argument });
  }
  if (min != null && max != null && min > max) {
    throw inputError(`\`${argument}\`: \`min\` must not be above \`max\`.`, { argument });
  }
  return { ...(min != null ? { min } : {}), ...(max != null ? { max } : {}) };
}
