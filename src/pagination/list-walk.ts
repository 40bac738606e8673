import type { Image, ImagePage, SortOrder } from "../upstream/index.ts";
import { type EdgePosition, imageKeyOf, MAX_BACK_LINKS } from "./cursor.ts";
import type { PageLink, TokenChainMemo } from "./token-chain.ts";

export interface PageQuery {
  token: string | null;
  perPage: number;
  sortOrder: SortOrder;
}

/** One read of the v2 list in one order, with what every step of it needs. */
export interface Walk {
  readonly fingerprint: string;
  readonly order: SortOrder;
  /** The largest `per_page` to ask for. */
  readonly maxPerPage: number;
  readonly memo: TokenChainMemo;
  readonly fetchPage: (page: PageQuery) => Promise<ImagePage>;
}

export interface WalkItem {
  image: Image;
  position: EdgePosition;
}

export interface Collected {
  /** In the order of the walk: from the anchor outwards. */
  items: WalkItem[];
  /** More items exist beyond the last collected one, in the direction of the walk. */
  hasMore: boolean;
}

/** The token chain of one list read in one order: tokens of another filter or order never meet it. */
export function chainOf(walk: Walk): string {
  return `${walk.fingerprint}:${walk.order}`;
}

/** Reads one page and remembers the way back from the page after it. */
export async function readPage(walk: Walk, link: PageLink): Promise<ImagePage> {
  const page = await walk.fetchPage({ token: link.token, perPage: link.perPage, sortOrder: walk.order });
  if (page.continuationToken !== null) await walk.memo.remember(chainOf(walk), page.continuationToken, link);
  return page;
}

export function itemAt(walk: Walk, page: ImagePage, link: PageLink, back: readonly PageLink[], offset: number) {
  const image = page.images[offset] as Image;
  let imageKey: string | undefined;
  const position: EdgePosition = {
    fingerprint: walk.fingerprint,
    readOrder: walk.order,
    token: link.token,
    offset,
    perPage: link.perPage,
    // Hashed only for a cursor that is read: most edges' never are.
    get imageKey() {
      imageKey ??= imageKeyOf(image.id);
      return imageKey;
    },
    back,
  };
  if (offset === page.images.length - 1) position.nextToken = page.continuationToken;
  return { image, position };
}

/**
 * Where the anchor's image sits in its page as read now: images uploaded or deleted since shift
 * offsets (newest first, every upload shifts the first page). When the image itself is gone, the
 * one that took its offset is taken to follow it.
 */
export function anchorIndex(page: ImagePage, anchor: EdgePosition): { index: number; found: boolean } {
  const index = page.images.findIndex((image) => imageKeyOf(image.id) === anchor.imageKey);
  return index >= 0 ? { index, found: true } : { index: Math.min(anchor.offset, page.images.length), found: false };
}

/** The pages before the one after `link`: `link` itself, then what was known before it. */
export function backAfter(link: PageLink, back: readonly PageLink[]): readonly PageLink[] {
  return [link, ...back].slice(0, MAX_BACK_LINKS);
}

/**
 * Reads along the walk's order, from the start or from just after `anchor` (an edge read in the
 * same order). Tokens go forward, so this is always direct: after the last edge of a page its
 * next token, after any other edge its own page again.
 */
export async function walkAlong(
  walk: Walk,
  anchor: EdgePosition | undefined,
  count: number,
  perPage: number,
): Promise<Collected> {
  let link: PageLink = { token: null, perPage };
  let back: readonly PageLink[] = [];
  let skip = 0;
  if (anchor) {
    if (anchor.nextToken === null) return { items: [], hasMore: false };
    if (anchor.nextToken !== undefined) {
      back = backAfter({ token: anchor.token, perPage: anchor.perPage }, anchor.back);
      link = { token: anchor.nextToken, perPage };
    } else {
      link = { token: anchor.token, perPage: anchor.perPage };
      back = anchor.back;
      skip = anchor.offset + 1;
    }
  }
  const items: WalkItem[] = [];
  for (let first = true; ; first = false) {
    const page = await readPage(walk, link);
    if (first && skip > 0 && anchor) {
      const { index, found } = anchorIndex(page, anchor);
      skip = found ? index + 1 : index;
    }
    const last = page.images.length - 1;
    for (let offset = skip; offset <= last && items.length < count; offset++) {
      items.push(itemAt(walk, page, link, back, offset));
    }
    const takenToEnd = items.length === 0 || items.at(-1)?.position.offset === last;
    if (items.length >= count) return { items, hasMore: !takenToEnd || page.continuationToken !== null };
    if (page.continuationToken === null || page.images.length === 0) return { items, hasMore: false };
    back = backAfter(link, back);
    link = { token: page.continuationToken, perPage };
    skip = 0;
  }
}
