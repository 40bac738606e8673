import {
  type CatalogueFilter,
  type CatalogueMetaFilter,
  isFactOrder,
  type Keyset,
  needsFacts,
  type PageRequest,
} from "./model.ts";

/** SQL with `?` placeholders and their values, in order: every value is a parameter, never text. */
export interface Fragment {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** What differs between the two stores' SQL: JSON access, search, and the text collation. */
export interface Dialect {
  /** The metadata value at `path` if it has that JSON type, else NULL. */
  metaString(path: readonly string[]): Fragment;
  metaNumber(path: readonly string[]): Fragment;
  /** 'true' or 'false' when the value is a boolean, else NULL. */
  metaBoolean(path: readonly string[]): Fragment;
  /** Rows whose search text holds `term` (lower case). */
  search(term: string): Fragment;
  /** Rows whose filename holds `term` (lower case). */
  filename(term: string): Fragment;
  /**
   * All of a query's searched text at once (search terms, and the filename term if any), when the
   * store answers them together faster than one condition each; else `search` and `filename` each.
   */
  searchAll?(terms: readonly string[], filename: string | undefined): Fragment[];
  /** Applied to text columns compared or ordered, so both stores order by the same bytes. */
  readonly collate: string;
}

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** `LIKE` with `\` as the escape character: the term's own `%`, `_` and `\` match themselves. */
export function likeContaining(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function whereOf(tenant: string, filter: CatalogueFilter, dialect: Dialect): Fragment {
  const parts: Fragment[] = [{ sql: "tenant = ? AND deleted = FALSE", params: [tenant] }];
  const filename = filter.filename?.toLowerCase();
  if (dialect.searchAll) parts.push(...dialect.searchAll(filter.terms ?? [], filename));
  else for (const term of filter.terms ?? []) parts.push(dialect.search(term));
  if (filter.creator !== undefined) {
    parts.push(
      filter.creator === "" ? { sql: "creator IS NULL", params: [] } : { sql: "creator = ?", params: [filter.creator] },
    );
  }
  if (filename !== undefined && !dialect.searchAll) parts.push(dialect.filename(filename));
  if (filter.uploadedAfter) parts.push({ sql: "uploaded > ?", params: [filter.uploadedAfter.getTime()] });
  if (filter.uploadedBefore) parts.push({ sql: "uploaded < ?", params: [filter.uploadedBefore.getTime()] });
  if (filter.requireSignedURLs !== undefined) {
    parts.push({ sql: "require_signed = ?", params: [filter.requireSignedURLs] });
  }
  for (const condition of filter.meta ?? []) parts.push(metaCondition(condition, dialect));
  parts.push(...factConditions(filter));
  return join(parts, " AND ");
}

/** Conditions on the facts columns (joined by `sourceOf`): a missing fact matches none. */
function factConditions(filter: CatalogueFilter): Fragment[] {
  const parts: Fragment[] = [];
  for (const [column, range] of [
    ["width", filter.width],
    ["height", filter.height],
    ["byte_size", filter.byteSize],
  ] as const) {
    if (range?.min !== undefined) parts.push({ sql: `${column} >= ?`, params: [range.min] });
    if (range?.max !== undefined) parts.push({ sql: `${column} <= ?`, params: [range.max] });
  }
  if (filter.sourceFormats) {
    parts.push({
      sql: `source_format IN (${filter.sourceFormats.map(() => "?").join(", ")})`,
      params: filter.sourceFormats,
    });
  }
  return parts;
}

/** `images`, joined to its facts when the filter or the order reads them. */
export function sourceOf(request: { filter: CatalogueFilter; order?: PageRequest["order"] }): string {
  return needsFacts(request.filter) || (request.order && isFactOrder(request.order.field))
    ? "images LEFT JOIN image_facts ON facts_tenant = images.tenant AND image_id = images.id"
    : "images";
}

/**
 * The upstream's operators with its semantics (see the emulator's meta-filter.ts), and the catalogue's
 * string ranges (see CATALOGUE_META_OPERATORS), compared in the stores' common byte order.
 */
function metaCondition({ path: dotted, op, value }: CatalogueMetaFilter, dialect: Dialect): Fragment {
  const path = dotted.split(".");
  const str = dialect.metaString(path);
  const num = dialect.metaNumber(path);
  const bool = dialect.metaBoolean(path);
  const compare = (expression: Fragment, operator: string, operand: unknown): Fragment => ({
    sql: `${expression.sql} ${operator} ?`,
    params: [...expression.params, operand],
  });
  const untypedEquals = (text: string): Fragment => {
    const options = [compare(str, "=", text)];
    if (NUMBER.test(text)) options.push(compare(num, "=", Number(text)));
    if (text === "true" || text === "false") options.push(compare(bool, "=", text));
    return group(join(options, " OR "));
  };
  const ranges: Record<string, string> = { gt: ">", gte: ">=", lt: "<", lte: "<=" };
  const [base = "", type] = op.split(":");
  const range = ranges[base];
  if (range && type === "string")
    return compare({ sql: `${str.sql}${dialect.collate}`, params: str.params }, range, value);
  if (range) return compare(num, range, Number(value));
  if (base === "eq") {
    if (type === "string") return compare(str, "=", value);
    if (type === "number") return compare(num, "=", Number(value));
    if (type === "boolean") return compare(bool, "=", value);
    return untypedEquals(value);
  }
  const values = value.split("|");
  if (type === "string")
    return group(
      join(
        values.map((v) => compare(str, "=", v)),
        " OR ",
      ),
    );
  if (type === "number")
    return group(
      join(
        values.map((v) => compare(num, "=", Number(v))),
        " OR ",
      ),
    );
  return group(join(values.map(untypedEquals), " OR "));
}

/** The column an order field reads. */
export function orderColumn(field: PageRequest["order"]["field"]): string {
  if (field === "bytes") return "byte_size";
  if (field === "width" || field === "height") return field;
  return field === "uploaded" ? "uploaded" : field === "filename" ? "sort_filename" : "id";
}

/** Rows strictly after `after` in the order: (key, id) compared as a row, the id breaking ties. */
export function keysetCondition(request: PageRequest, dialect: Dialect): Fragment | undefined {
  const { after, order } = request;
  if (!after) return undefined;
  const operator = order.direction === "asc" ? ">" : "<";
  if (order.field === "id") return { sql: `id${dialect.collate} ${operator} ?`, params: [after.id] };
  if (isFactOrder(order.field)) return nullableKeyset(orderColumn(order.field), operator, request, dialect);
  const column = orderColumn(order.field);
  const collate = order.field === "filename" ? dialect.collate : "";
  return {
    sql: `(${column}${collate} ${operator} ? OR (${column} = ? AND id${dialect.collate} ${operator} ?))`,
    params: [after.value, after.value, after.id],
  };
}

/**
 * The keyset of a fact order, whose column may be NULL (facts not known): those rows form a block
 * after the others ("last") or before them ("first"), ordered by id among themselves.
 */
function nullableKeyset(column: string, operator: string, request: PageRequest, dialect: Dialect): Fragment {
  const after = request.after as Keyset;
  const id = `id${dialect.collate} ${operator} ?`;
  const nullsLast = request.order.nulls !== "first";
  if (after.value === null) {
    return nullsLast
      ? { sql: `(${column} IS NULL AND ${id})`, params: [after.id] }
      : { sql: `(${column} IS NOT NULL OR (${column} IS NULL AND ${id}))`, params: [after.id] };
  }
  const past = `${column} ${operator} ? OR (${column} = ? AND ${id})`;
  return {
    sql: nullsLast ? `(${past} OR ${column} IS NULL)` : `(${past})`,
    params: [after.value, after.value, after.id],
  };
}

export function orderBy(request: PageRequest, dialect: Dialect): string {
  const direction = request.order.direction === "asc" ? "ASC" : "DESC";
  if (request.order.field === "id") return `id${dialect.collate} ${direction}`;
  if (isFactOrder(request.order.field)) {
    const column = orderColumn(request.order.field);
    const nulls = request.order.nulls === "first" ? "DESC" : "ASC";
    return `(${column} IS NULL) ${nulls}, ${column} ${direction}, id${dialect.collate} ${direction}`;
  }
  const collate = request.order.field === "filename" ? dialect.collate : "";
  return `${orderColumn(request.order.field)}${collate} ${direction}, id${dialect.collate} ${direction}`;
}

/** The page's query: the filter, the keyset, the order and one row more than asked (is there more?). */
export function pageQuery(tenant: string, request: PageRequest, dialect: Dialect): Fragment {
  const where = [whereOf(tenant, request.filter, dialect)];
  const keyset = keysetCondition(request, dialect);
  if (keyset) where.push(keyset);
  const condition = join(where, " AND ");
  const orderValue = isFactOrder(request.order.field) ? `, ${orderColumn(request.order.field)} AS order_value` : "";
  return {
    sql: `SELECT ${IMAGE_COLUMNS}${orderValue} FROM ${sourceOf(request)} WHERE ${condition.sql} ORDER BY ${orderBy(request, dialect)} LIMIT ?`,
    params: [...condition.params, request.limit + 1],
  };
}

export function countQuery(tenant: string, filter: CatalogueFilter, dialect: Dialect): Fragment {
  const where = whereOf(tenant, filter, dialect);
  return { sql: `SELECT COUNT(*) AS n FROM ${sourceOf({ filter })} WHERE ${where.sql}`, params: where.params };
}

export const IMAGE_COLUMNS = "id, filename, creator, meta, require_signed, uploaded, variants";

export function keysetOf(row: { value: string | number | null; id: string }): Keyset {
  return { value: row.value, id: row.id };
}

function join(parts: readonly Fragment[], separator: string): Fragment {
  return { sql: parts.map((p) => p.sql).join(separator), params: parts.flatMap((p) => p.params) };
}

function group(fragment: Fragment): Fragment {
  return { sql: `(${fragment.sql})`, params: fragment.params };
}
