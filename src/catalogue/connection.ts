import { type ConnectionArgs, readConnectionArgs } from "../pagination/connection-args.ts";
import type { Image } from "../upstream/index.ts";
import type { Catalogue } from "./catalogue.ts";
import type { KeysetCursorCodec } from "./keyset-cursor.ts";
import { type CatalogueFilter, type CatalogueOrder, type Keyset, keyOf } from "./model.ts";

export interface CatalogueConnection {
  edges: { cursor: string; node: Image }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** What a connection served by the catalogue reads through. */
export interface CatalogueSource {
  readonly catalogue: Catalogue;
  readonly cursors: KeysetCursorCodec;
}

/**
 * A Relay connection over the index by keyset (order value, id): `after` reads on in the order,
 * `before` reads the reverse order from the cursor and turns the page round. An image added or
 * removed meanwhile moves no other image's position: none is seen twice or skipped.
 */
export async function resolveCatalogueConnection(
  args: ConnectionArgs,
  query: { filter: CatalogueFilter; order: CatalogueOrder; fingerprint: string },
  source: CatalogueSource,
): Promise<CatalogueConnection> {
  const { count, backward, anchor } = readConnectionArgs(args, (cursor) =>
    source.cursors.decode(cursor, query.fingerprint),
  );
  const order: CatalogueOrder = backward
    ? {
        field: query.order.field,
        direction: query.order.direction === "asc" ? "desc" : "asc",
        nulls: query.order.nulls === "first" ? "last" : "first",
      }
    : query.order;
  const rows =
    count === 0 ? [] : await source.catalogue.page({ filter: query.filter, order, after: anchor, limit: count });
  const hasMore = rows.length > count;
  const page = rows.slice(0, count);
  if (backward) page.reverse();
  const edges = page.map((node) =>
    lazyEdge(source.cursors, query.fingerprint, { value: keyOf(node, order.field), id: node.id }, node),
  );
  return {
    edges,
    pageInfo: {
      hasNextPage: backward ? anchor !== undefined : hasMore,
      hasPreviousPage: backward ? hasMore : anchor !== undefined,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
  };
}

function lazyEdge(cursors: KeysetCursorCodec, fingerprint: string, keyset: Keyset, node: Image) {
  let cursor: string | undefined;
  return {
    node,
    get cursor() {
      cursor ??= cursors.encode(fingerprint, keyset);
      return cursor;
    },
  };
}
