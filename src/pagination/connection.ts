import type { Image, ImagePage, SortOrder } from "../upstream/index.ts";
import { walkBack } from "./backward-walk.ts";
import { type ConnectionArgs, readConnectionArgs } from "./connection-args.ts";
import type { CursorCodec, EdgePosition } from "./cursor.ts";
import { type Collected, type PageQuery, type Walk, walkAlong } from "./list-walk.ts";
import type { TokenChainMemo } from "./token-chain.ts";

export type { ConnectionArgs } from "./connection-args.ts";
export { DEFAULT_PAGE_EDGES, MAX_CONNECTION_EDGES } from "./connection-args.ts";
export type { PageQuery } from "./list-walk.ts";

export interface ImageConnectionResult {
  edges: { cursor: string; node: Image }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** What a connection reads through: the upstream list, the cursor codec and the way back. */
export interface ListSource {
  readonly fetchPage: (page: PageQuery) => Promise<ImagePage>;
  readonly cursors: CursorCodec;
  readonly memo: TokenChainMemo;
}

const MIN_UPSTREAM_PAGE = 10;

/**
 * Serves a Relay connection over the v2 list's continuation tokens. A walk either goes along a
 * cursor's read order (tokens go forward, so it is direct), or against it, back through the pages
 * before the cursor's own (see walkBack). `last` without `before` reads the reverse order.
 */
export async function resolveImageConnection(
  args: ConnectionArgs,
  query: { sortOrder: SortOrder; fingerprint: string; maxPerPage: number },
  source: ListSource,
): Promise<ImageConnectionResult> {
  const { count, backward, anchor } = readConnectionArgs<EdgePosition>(args, (cursor) =>
    source.cursors.decode(cursor, query.fingerprint),
  );
  const walkOrder = backward ? reverse(query.sortOrder) : query.sortOrder;
  const perPage = clamp(count, MIN_UPSTREAM_PAGE, query.maxPerPage);
  const walk = (order: SortOrder): Walk => ({
    fingerprint: query.fingerprint,
    order,
    maxPerPage: query.maxPerPage,
    memo: source.memo,
    fetchPage: source.fetchPage,
  });

  let collected: Collected;
  if (count === 0) collected = { items: [], hasMore: false };
  else if (!anchor || anchor.readOrder === walkOrder)
    collected = await walkAlong(walk(walkOrder), anchor, count, perPage);
  else collected = await walkBack(walk(anchor.readOrder), anchor, count);

  const items = backward ? collected.items.reverse() : collected.items;
  const edges = items.map(({ image, position }) => lazyEdge(source.cursors, position, image));
  return {
    edges,
    pageInfo: {
      hasNextPage: backward ? anchor !== undefined : collected.hasMore,
      hasPreviousPage: backward ? collected.hasMore : anchor !== undefined,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
  };
}

/** A cursor is signed when first read: most queries of a page select none, or only `endCursor`. */
function lazyEdge(cursors: CursorCodec, position: EdgePosition, node: Image): { cursor: string; node: Image } {
  let cursor: string | undefined;
  return {
    node,
    get cursor() {
      cursor ??= cursors.encode(position);
      return cursor;
    },
  };
}

function reverse(order: SortOrder): SortOrder {
  return order === "asc" ? "desc" : "asc";
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
