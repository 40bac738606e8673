import { inputError } from "../errors.ts";
import type { ImagePage } from "../upstream/index.ts";
import type { EdgePosition } from "./cursor.ts";
import {
  anchorIndex,
  backAfter,
  type Collected,
  chainOf,
  itemAt,
  readPage,
  type Walk,
  type WalkItem,
} from "./list-walk.ts";
import type { PageLink } from "./token-chain.ts";

/**
 * A re-walk from the start reads at most this many pages (10,000 images at the default page size)
 * before giving up: it is the last resort when neither the cursor nor the memo knows the way back.
 */
export const MAX_REWALK_PAGES = 10;
/** The v2 list's `per_page` bounds. */
const MIN_PER_PAGE = 10;
const MAX_PER_PAGE = 10_000;

/**
 * Reads the `count` items before `anchor` in its read order, nearest first. The anchor's own page
 * is read again when the anchor is not its first edge; the pages before it come from the cursor's
 * own links, then from the token-chain memo, and, when neither knows one, from reading the list
 * again from the start until the first image of the page reached so far turns up.
 */
export async function walkBack(walk: Walk, anchor: EdgePosition, count: number): Promise<Collected> {
  const items: WalkItem[] = [];
  /** The page whose start the walk has reached. */
  let reached: PageLink = { token: anchor.token, perPage: anchor.perPage };
  /** Pages before `reached`, nearest first, as far as the cursor knows them. */
  let back = anchor.back;
  /** The first image of `reached`, once read: what marks its start if the list has moved. */
  let firstId: string | undefined;
  const take = (page: ImagePage, link: PageLink, linkBack: readonly PageLink[], end: number) => {
    for (let offset = end - 1; offset >= 0 && items.length < count; offset--) {
      items.push(itemAt(walk, page, link, linkBack, offset));
    }
  };

  if (anchor.offset > 0) {
    const page = await readPage(walk, reached);
    firstId = page.images[0]?.id;
    take(page, reached, back, anchorIndex(page, anchor).index);
  }
  while (items.length < count && reached.token !== null) {
    const { links, known } = await linksBefore(walk, reached.token, back, count - items.length);
    const farthest = links.at(-1);
    if (!farthest) return rewalk(walk, items, count, reached, firstId);
    // The pages before `reached` are contiguous: one call reads them all, as one page.
    const link: PageLink = { token: farthest.token, perPage: links.reduce((sum, l) => sum + l.perPage, 0) };
    const linkBack = links.length === known ? back.slice(known) : [];
    const page = await readPage(walk, link);
    let end = page.images.length;
    if (page.continuationToken !== reached.token) {
      // The list changed since these links were read: the page now ends elsewhere.
      end = firstId === undefined ? -1 : page.images.findIndex((image) => image.id === firstId);
      if (end < 0) return rewalk(walk, items, count, reached, firstId);
    }
    take(page, link, linkBack, end);
    firstId = page.images[0]?.id;
    reached = link;
    back = linkBack;
  }
  return { items, hasMore: items.length === count && hasItemsBefore(items) };
}

/**
 * The pages just before `boundary`, nearest first: from the cursor's own links (`known` of them),
 * then the memo, until they hold `need` items or would not fit in one upstream page together.
 */
async function linksBefore(walk: Walk, boundary: string, back: readonly PageLink[], need: number) {
  const links: PageLink[] = [];
  let known = 0;
  let covered = 0;
  let at: string | null = boundary;
  while (at !== null && covered < need) {
    const fromCursor = back[links.length];
    const link: PageLink | undefined =
      links.length === known && fromCursor ? fromCursor : await walk.memo.previous(chainOf(walk), at);
    if (!link || (links.length > 0 && covered + link.perPage > walk.maxPerPage)) break;
    if (link === fromCursor) known += 1;
    links.push(link);
    covered += link.perPage;
    at = link.token;
  }
  return { links, known };
}

/** Reads the list from its start up to the first image of `reached`, keeping the items nearest it. */
async function rewalk(
  walk: Walk,
  items: WalkItem[],
  count: number,
  reached: PageLink,
  knownFirstId: string | undefined,
): Promise<Collected> {
  // Undefined after this read too: nothing is left at or after `reached`, so every item precedes it.
  const target = knownFirstId ?? (await readPage(walk, reached)).images[0]?.id;
  const need = count - items.length;
  let window: WalkItem[] = [];
  let dropped = false;
  let link: PageLink = { token: null, perPage: walk.maxPerPage };
  let back: readonly PageLink[] = [];
  for (let pages = 0; ; pages++) {
    if (pages === MAX_REWALK_PAGES) {
      throw inputError(
        `The way back from this cursor is no longer known and lies more than ${MAX_REWALK_PAGES} upstream pages ` +
          "from the start of the list. Page from the other end (`last` without `before`), or start again.",
        { argument: "cursor" },
      );
    }
    const page = await readPage(walk, link);
    const at = target === undefined ? -1 : page.images.findIndex((image) => image.id === target);
    const end = at >= 0 ? at : page.images.length;
    for (let offset = 0; offset < end; offset++) window.push(itemAt(walk, page, link, back, offset));
    if (window.length > need) {
      window = window.slice(window.length - need);
      dropped = true;
    }
    if (at >= 0) {
      await rememberBoundary(walk, reached, link, back[0], at);
      break;
    }
    if (page.continuationToken === null) {
      if (target === undefined) break;
      throw inputError("The list changed while this page was read; ask again.", { argument: "cursor" });
    }
    back = backAfter(link, back);
    link = { token: page.continuationToken, perPage: walk.maxPerPage };
  }
  items.push(...window.reverse());
  return { items, hasMore: dropped };
}

/**
 * Teaches the memo the page that ends where `reached` starts, found `at` images into the re-walk's
 * page `link`, so the next walk back from there needs no re-walk. Only a readable page can be
 * remembered (`per_page` 10 to 10,000); a wrong one is caught when used (its next token differs).
 */
async function rememberBoundary(
  walk: Walk,
  reached: PageLink,
  link: PageLink,
  before: PageLink | undefined,
  at: number,
): Promise<void> {
  if (reached.token === null) return;
  const page =
    at >= MIN_PER_PAGE
      ? { token: link.token, perPage: at }
      : before && before.perPage + at <= MAX_PER_PAGE
        ? { token: before.token, perPage: before.perPage + at }
        : undefined;
  if (page) await walk.memo.remember(chainOf(walk), reached.token, page);
}

/** Whether anything precedes the last collected item: it is not the first edge of the first page. */
function hasItemsBefore(items: WalkItem[]): boolean {
  const lowest = items.at(-1)?.position;
  return lowest !== undefined && (lowest.offset > 0 || lowest.token !== null);
}
