import type { Image, ImagePage, SortOrder } from "../upstream/index.ts";
import { decodeCursor, type EdgePosition, encodeCursor } from "./cursor.ts";
import { badUserInput } from "./errors.ts";

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface PageQuery {
  token: string | null;
  perPage: number;
  sortOrder: SortOrder;
}

export interface ImageConnectionResult {
  edges: { cursor: string; node: Image }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

export const DEFAULT_PAGE_EDGES = 20;
/** The v2 list's own `per_page` maximum. */
export const MAX_CONNECTION_EDGES = 10_000;
const MIN_UPSTREAM_PAGE = 10;

interface Collected {
  items: { image: Image; position: EdgePosition }[];
  /** More items exist beyond the last collected one, in the direction of the walk. */
  hasMore: boolean;
}

/**
 * Serves a Relay connection over the v2 list's continuation tokens (DESIGN §5). A walk either
 * goes along a cursor's read order (always possible: tokens go forward), or against it, which
 * is served from the cursor's own page when it can be done exactly and refused otherwise.
 */
export async function resolveImageConnection(
  args: ConnectionArgs,
  query: { sortOrder: SortOrder; fingerprint: string; maxPerPage: number },
  fetchPage: (page: PageQuery) => Promise<ImagePage>,
): Promise<ImageConnectionResult> {
  const { count, backward, anchor } = readArgs(args, query.fingerprint);
  const walkOrder = backward ? reverse(query.sortOrder) : query.sortOrder;
  const perPage = clamp(count, MIN_UPSTREAM_PAGE, query.maxPerPage);

  let collected: Collected;
  if (count === 0) collected = { items: [], hasMore: false };
  else if (!anchor) collected = await walkAlong(null, count, perPage, walkOrder, query.fingerprint, fetchPage);
  else if (anchor.readOrder === walkOrder)
    collected = await walkAlong(anchor, count, perPage, walkOrder, query.fingerprint, fetchPage);
  else collected = await walkAgainst(anchor, count, fetchPage);

  const items = backward ? collected.items.reverse() : collected.items;
  const edges = items.map(({ image, position }) => ({ cursor: encodeCursor(position), node: image }));
  return {
    edges,
    pageInfo: {
      hasNextPage: backward ? anchor !== undefined : collected.hasMore,
      hasPreviousPage: backward ? collected.hasMore : anchor !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

function readArgs(args: ConnectionArgs, fingerprint: string) {
  const { first, last, after, before } = args;
  for (const [name, value] of [
    ["first", first],
    ["last", last],
  ] as const) {
    if (value !== null && value !== undefined && (value < 0 || value > MAX_CONNECTION_EDGES)) {
      throw badUserInput(`\`${name}\` must be between 0 and ${MAX_CONNECTION_EDGES}.`, { argument: name });
    }
  }
  if (isSet(first) && isSet(last)) throw badUserInput("Pass either `first` or `last`, not both.", { argument: "last" });
  if (isSet(after) && isSet(before))
    throw badUserInput("Pass either `after` or `before`, not both.", { argument: "before" });
  if (isSet(first) && isSet(before)) throw badUserInput("Use `before` with `last`.", { argument: "before" });
  if (isSet(last) && isSet(after)) throw badUserInput("Use `after` with `first`.", { argument: "after" });
  const backward = isSet(last) || isSet(before);
  const count = (backward ? last : first) ?? DEFAULT_PAGE_EDGES;
  const cursor = after ?? before;
  return { count, backward, anchor: isSet(cursor) ? decodeCursor(cursor, fingerprint) : undefined };
}

/** Reads forward in `order`, from the start or from just after `anchor`. */
async function walkAlong(
  anchor: EdgePosition | undefined | null,
  count: number,
  perPage: number,
  order: SortOrder,
  fingerprint: string,
  fetchPage: (page: PageQuery) => Promise<ImagePage>,
): Promise<Collected> {
  let token: string | null = null;
  let skip = 0;
  let size = perPage;
  if (anchor) {
    if (anchor.nextToken === null) return { items: [], hasMore: false };
    if (anchor.nextToken !== undefined) token = anchor.nextToken;
    else ({ token, skip, size } = { token: anchor.token, skip: anchor.offset + 1, size: anchor.perPage });
  }
  const items: Collected["items"] = [];
  for (;;) {
    const page = await fetchPage({ token, perPage: size, sortOrder: order });
    const last = page.images.length - 1;
    for (let offset = skip; offset <= last && items.length < count; offset++) {
      const position: EdgePosition = { fingerprint, readOrder: order, token, offset, perPage: size };
      if (offset === last) position.nextToken = page.continuationToken;
      items.push({ image: page.images[offset] as Image, position });
    }
    const takenToEnd = items.length === 0 || items.at(-1)?.position.offset === last;
    if (items.length >= count) return { items, hasMore: !takenToEnd || page.continuationToken !== null };
    if (page.continuationToken === null || page.images.length === 0) return { items, hasMore: false };
    token = page.continuationToken;
    skip = 0;
    size = perPage;
  }
}

/** Reads the items before `anchor` in its read order, nearest first: only its own page is reachable. */
async function walkAgainst(
  anchor: EdgePosition,
  count: number,
  fetchPage: (page: PageQuery) => Promise<ImagePage>,
): Promise<Collected> {
  if (anchor.offset < count && anchor.token !== null) {
    throw badUserInput(
      "This page cannot be served exactly: it would cross an upstream page boundary backwards. " +
        "Ask for fewer items, or page from the other end (`last` without `before`, or `first` without `after`).",
      { argument: "cursor" },
    );
  }
  if (anchor.offset === 0) return { items: [], hasMore: anchor.token !== null };
  const page = await fetchPage({ token: anchor.token, perPage: anchor.perPage, sortOrder: anchor.readOrder });
  const items: Collected["items"] = [];
  const from = Math.min(anchor.offset, page.images.length) - 1;
  for (let offset = from; offset >= 0 && items.length < count; offset--) {
    const position: EdgePosition = { ...anchor, offset };
    delete position.nextToken;
    if (offset === page.images.length - 1) position.nextToken = page.continuationToken;
    items.push({ image: page.images[offset] as Image, position });
  }
  const lowest = items.at(-1)?.position.offset ?? 0;
  return { items, hasMore: lowest > 0 || anchor.token !== null };
}

function reverse(order: SortOrder): SortOrder {
  return order === "asc" ? "desc" : "asc";
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function isSet<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}
