import { type CatalogueArgs, catalogueQuery, needsCatalogue } from "../catalogue/arguments.ts";
import { resolveCatalogueConnection } from "../catalogue/connection.ts";
import {
  CATALOGUE_META_OPERATORS,
  type CatalogueFilter,
  type CatalogueMetaFilter,
  type CatalogueMetaOperator,
  isCatalogueMetaOperator,
} from "../catalogue/model.ts";
import type { Context } from "../context.ts";
import { inputError } from "../errors.ts";
import { DEFAULT_PAGE_EDGES, resolveImageConnection } from "../pagination/connection.ts";
import { queryFingerprint } from "../pagination/cursor.ts";
import { META_FILTER_OPERATORS, type MetaFilter, type MetaFilterOperator, type SortOrder } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { ImageOrderFieldEnum, IntRangeInput, UploadedRangeInput } from "./catalogue.ts";
import { ImageRef } from "./image.ts";
import { ImageSourceFormatEnum } from "./image-facts.ts";
import { UPSTREAM_CALL_COST } from "./limits.ts";
import { UPSTREAM_CALLS } from "./upstream-calls.ts";

// The v2 list takes at most 5 metadata filters, 5 levels deep, and 10 values per `in` (Cloudflare API
// reference, images v2 list).
const MAX_META_FILTERS = 5;
/** The catalogue has no such limit of its own: a bound on the work one query asks of it. */
const MAX_CATALOGUE_META_FILTERS = 20;
const MAX_META_DEPTH = 5;
const MAX_IN_VALUES = 10;

const SortOrderEnum = builder.enumType("SortOrder", {
  description: "By upload time.",
  values: { ASC: { value: "asc" }, DESC: { value: "desc" } } as const,
});

type MetaOperator = MetaFilterOperator | CatalogueMetaOperator;

const operatorValues = Object.fromEntries([
  ...META_FILTER_OPERATORS.map((op) => [op.replace(":", "_").toUpperCase(), { value: op }]),
  ...CATALOGUE_META_OPERATORS.map((op) => [
    op.replace(":", "_").toUpperCase(),
    {
      value: op,
      description:
        "A string range (the upstream has none): stored strings only, compared by code point, so ISO dates range as expected. Served by the catalogue.",
    },
  ]),
]) as Record<string, { value: MetaOperator }>;

const MetaOperatorEnum = builder.enumType("MetaFilterOperator", {
  description:
    "Operators of the upstream's metadata filters: `EQ_NUMBER` is `eq:number`, and so on; `GT`/`GTE`/`LT`/`LTE` compare stored numbers. The `_STRING` ranges are the catalogue's own.",
  values: operatorValues,
});

const MetaFilterInput = builder.inputType("MetaFilterInput", {
  description: "One metadata condition. `IN` operators take `values`; every other operator takes `value`.",
  fields: (t) => ({
    path: t.string({ required: true, description: "Dot path into the metadata, at most 5 levels: `album.name`." }),
    op: t.field({ type: MetaOperatorEnum, required: true }),
    value: t.string(),
    values: t.stringList({ description: "For IN operators: 1 to 10 values." }),
  }),
});

export const ImageFilterInput = builder.inputType("ImageFilter", {
  fields: (t) => ({
    creator: t.string({ description: "Only images with this creator; the empty string selects images without one." }),
    meta: t.field({
      type: [MetaFilterInput],
      description: `At most ${MAX_META_FILTERS} conditions, all of which must hold (${MAX_CATALOGUE_META_FILTERS} in a query the catalogue serves).`,
    }),
    filename: t.string({ description: "Filenames holding this text, case-insensitively. Served by the catalogue." }),
    uploaded: t.field({ type: UploadedRangeInput, description: "Served by the catalogue." }),
    requireSignedURLs: t.boolean({ description: "Served by the catalogue." }),
    width: t.field({
      type: IntRangeInput,
      description:
        "Width as displayed, in pixels. Images whose facts are not READY never match. Served by the catalogue.",
    }),
    height: t.field({
      type: IntRangeInput,
      description:
        "Height as displayed, in pixels. Images whose facts are not READY never match. Served by the catalogue.",
    }),
    byteSize: t.field({
      type: IntRangeInput,
      description:
        "The stored file's size in bytes. Images whose facts are not READY never match. Served by the catalogue.",
    }),
    sourceFormat: t.field({
      type: [ImageSourceFormatEnum],
      description: "Any of these formats (one, or a list). Served by the catalogue.",
    }),
  }),
});

const ImageOrderInput = builder.inputType("ImageOrder", {
  description: "Orders other than by upload time are served by the catalogue.",
  fields: (t) => ({
    field: t.field({ type: ImageOrderFieldEnum, required: true }),
    direction: t.field({ type: SortOrderEnum, defaultValue: "desc" }),
  }),
});

interface FilterArg {
  creator?: string | null;
  meta?: { path: string; op: MetaOperator; value?: string | null; values?: string[] | null }[] | null;
}

builder.queryFields((t) => ({
  images: t.connection(
    {
      type: ImageRef,
      description:
        "Images, newest first by default, over the upstream's v2 list; `search`, the catalogue's filters and orders, and `totalCount` are served by the catalogue (see `catalogue`). Drafts are not listed.",
      args: {
        search: t.arg.string({
          description:
            "Words each found, case-insensitively, in the filename, the creator or a metadata value; at most 200 characters. Served by the catalogue.",
        }),
        filter: t.arg({ type: ImageFilterInput }),
        sortOrder: t.arg({ type: SortOrderEnum, defaultValue: "desc" }),
        orderBy: t.arg({ type: ImageOrderInput, description: "Overrides `sortOrder`." }),
      },
      // One upstream call per page of the list (none from the catalogue), and the selection once per edge asked for.
      complexity: (args, ctx) => {
        const edges = Math.max(0, args.first ?? args.last ?? DEFAULT_PAGE_EDGES);
        const field = needsCatalogue(args) ? 1 : UPSTREAM_CALL_COST * pagesOf(edges, ctx.settings.upstreamPageSize);
        return { field, multiplier: edges };
      },
      extensions: {
        // A cursor in the middle of a page refetches that page first.
        [UPSTREAM_CALLS]: (
          args: CatalogueArgs & { first?: number; last?: number; after?: string; before?: string },
          ctx: Context,
        ) => {
          if (needsCatalogue(args)) return { calls: 0 };
          const edges = Math.max(0, args.first ?? args.last ?? DEFAULT_PAGE_EDGES);
          const resumed = args.after || args.before ? 1 : 0;
          return { calls: pagesOf(edges, ctx.settings.upstreamPageSize) + resumed };
        },
      },
      resolve: async (_root, args, ctx) => {
        const creator = args.filter?.creator ?? null;
        const meta = toMetaFilters(
          args.filter ?? {},
          needsCatalogue(args) ? MAX_CATALOGUE_META_FILTERS : MAX_META_FILTERS,
        );
        const uploadOrder = args.orderBy?.field === "uploaded" ? args.orderBy.direction : undefined;
        const sortOrder: SortOrder = uploadOrder ?? args.sortOrder ?? "desc";
        const { catalogue } = ctx;
        if (needsCatalogue(args)) {
          const query = catalogueQuery(args, meta, sortOrder);
          const fingerprint = queryFingerprint(query);
          const connection = await resolveCatalogueConnection(args, { ...query, fingerprint }, catalogue);
          ctx.loaders.primeImages(connection.edges.map((e) => e.node));
          return { ...connection, totalCount: () => catalogue.catalogue.count(query.filter) };
        }
        const upstreamMeta = meta.filter(
          (condition): condition is MetaFilter => !isCatalogueMetaOperator(condition.op),
        );
        const countFilter = {
          ...(creator !== null ? { creator } : {}),
          ...(upstreamMeta.length > 0 ? { meta: upstreamMeta } : {}),
        };
        const connection = await resolveImageConnection(
          args,
          {
            sortOrder,
            fingerprint: queryFingerprint({ creator, meta: upstreamMeta, sortOrder }),
            maxPerPage: ctx.settings.upstreamPageSize,
          },
          {
            ...ctx.pagination,
            fetchPage: ({ token, perPage, sortOrder: order }) =>
              ctx.api.images.list({ continuationToken: token, perPage, sortOrder: order, creator, meta: upstreamMeta }),
          },
        );
        ctx.loaders.primeImages(connection.edges.map((e) => e.node));
        return { ...connection, totalCount: () => catalogue.catalogue.count(countFilter) };
      },
    },
    {
      name: "ImageConnection",
      fields: (c) => ({
        totalCount: c.int({
          description:
            "Images matching the query, exact for the catalogue's state. Served by the catalogue, also when the page comes from the upstream list: while the catalogue is not ready or is off, a typed error.",
          resolve: (connection) => (connection as unknown as { totalCount: () => Promise<number> }).totalCount(),
        }),
      }),
    },
    { name: "ImageEdge" },
  ),
}));

function pagesOf(edges: number, pageSize: number): number {
  return Math.max(1, Math.ceil(edges / pageSize));
}

/** The catalogue's filter for `filter` and `search` (a bulk job's selection), checked as `images` checks them. */
export function catalogueFilterOf(args: {
  filter: (CatalogueArgs["filter"] & FilterArg) | null;
  search: string | null;
}): CatalogueFilter {
  return catalogueQuery(args, toMetaFilters(args.filter ?? {}, MAX_CATALOGUE_META_FILTERS), "desc").filter;
}

/** Checks the filters against the upstream's limits before any call, and maps them to its syntax. */
function toMetaFilters(filter: FilterArg, maxFilters: number): CatalogueMetaFilter[] {
  const conditions = filter.meta ?? [];
  if (conditions.length > maxFilters) {
    throw inputError(`At most ${maxFilters} metadata filters are allowed.`, { argument: "filter.meta" });
  }
  return conditions.map((condition, index) => {
    const at = `filter.meta[${index}]`;
    const segments = condition.path.split(".");
    if (segments.length > MAX_META_DEPTH) {
      throw inputError(`${at}.path is nested deeper than ${MAX_META_DEPTH} levels.`, { argument: `${at}.path` });
    }
    if (segments.some((s) => s === "" || /[[\]&=#]/.test(s))) {
      throw inputError(`${at}.path must be dot-separated keys without empty parts or [ ] & = #.`, {
        argument: `${at}.path`,
      });
    }
    const isIn = condition.op.startsWith("in");
    const numeric = condition.op.endsWith(":number") || /^(gt|gte|lt|lte)$/.test(condition.op);
    if (isIn) {
      const values = condition.values ?? [];
      if (condition.value != null || values.length === 0 || values.length > MAX_IN_VALUES) {
        throw inputError(`${at}: ${condition.op} takes \`values\` with 1 to ${MAX_IN_VALUES} entries.`, {
          argument: `${at}.values`,
        });
      }
      if (values.some((v) => v.includes("|") || (numeric && !isNumeric(v)))) {
        throw inputError(`${at}.values must ${numeric ? "be numbers" : "not contain |"}.`, {
          argument: `${at}.values`,
        });
      }
      return { path: condition.path, op: condition.op, value: values.join("|") };
    }
    const value = condition.value;
    if (value == null || condition.values != null) {
      throw inputError(`${at}: ${condition.op} takes a single \`value\`.`, { argument: `${at}.value` });
    }
    if (numeric && !isNumeric(value)) {
      throw inputError(`${at}.value must be a number for ${condition.op}.`, { argument: `${at}.value` });
    }
    if (condition.op === "eq:boolean" && value !== "true" && value !== "false") {
      throw inputError(`${at}.value must be true or false for eq:boolean.`, { argument: `${at}.value` });
    }
    return { path: condition.path, op: condition.op, value };
  });
}

function isNumeric(value: string): boolean {
  return value.trim() !== "" && Number.isFinite(Number(value));
}
