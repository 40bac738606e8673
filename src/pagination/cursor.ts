import { createHash, createHmac, createSecretKey, timingSafeEqual } from "node:crypto";
import { inputError } from "../errors.ts";
import type { SortOrder } from "../upstream/index.ts";
import type { PageLink } from "./token-chain.ts";

/**
 * Where an edge sits in the upstream's v2 list: the continuation token of its page (null for the
 * first page), its offset and the page size, the order that page was read in, and a fingerprint of
 * the query's filters and sort order. The last edge of a page also carries the next page's token,
 * so resuming after it costs no extra call; every edge carries the few pages read before its own
 * (nearest first), the way back that forward-only tokens cannot give.
 */
export interface EdgePosition {
  fingerprint: string;
  /** The order the page was read in: the query's, or its reverse for `last` without `before`. */
  readOrder: SortOrder;
  token: string | null;
  offset: number;
  perPage: number;
  /** A short digest of the edge's image id: finds the edge in its page again if the page shifted. */
  imageKey: string;
  /** Present on the last edge of a page: the token of the page after it (null when none). */
  nextToken?: string | null;
  back: readonly PageLink[];
}

export interface CursorCodec {
  encode(position: EdgePosition): string;
  /** Throws BAD_USER_INPUT for anything this codec did not make, or made for another query. */
  decode(cursor: string, fingerprint: string): EdgePosition;
}

/** Relay clients keep cursors in URLs and caches; they stay under this size whatever the chain. */
export const MAX_CURSOR_CHARS = 1024;
/** Pages before its own that an edge's cursor remembers: enough for a few `last` pages on any replica. */
export const MAX_BACK_LINKS = 4;
const VERSION = 2;
const TAG_BYTES = 12;
const MAX_TOKEN_CHARS = 64;

/**
 * Cursors are signed (HMAC-SHA256, truncated) with a key derived from `secret`, so a forged or
 * edited cursor is refused before any upstream call: it could otherwise point the way back at
 * pages that do not precede it. Replicas sharing the upstream token share the key.
 */
export function createCursorCodec(secret: string): CursorCodec {
  // A key object, imported once: raw key bytes are imported again by every createHmac, six times the MAC's own cost.
  const key = createSecretKey(createHmac("sha256", secret).update("cloudflare-images-graphql cursor v2").digest());
  const tag = (payload: Buffer) => createHmac("sha256", key).update(payload).digest().subarray(0, TAG_BYTES);

  return {
    encode(p) {
      const back = p.back.slice(0, MAX_BACK_LINKS);
      for (;;) {
        const payload = Buffer.from(JSON.stringify(toTuple(p, back)));
        const cursor = Buffer.concat([tag(payload), payload]).toString("base64url");
        if (cursor.length <= MAX_CURSOR_CHARS || back.length === 0) return cursor;
        back.pop();
      }
    },
    decode(cursor, fingerprint) {
      if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw malformed();
      const bytes = Buffer.from(cursor, "base64url");
      const payload = bytes.subarray(TAG_BYTES);
      if (bytes.length <= TAG_BYTES || !timingSafeEqual(bytes.subarray(0, TAG_BYTES), tag(payload))) throw malformed();
      const position = fromTuple(payload);
      if (position.fingerprint !== fingerprint) {
        throw inputError(
          "This cursor belongs to a query with other filters or another sort order; start again without it.",
          { argument: "cursor" },
        );
      }
      return position;
    },
  };
}

function toTuple(p: EdgePosition, back: readonly PageLink[]): unknown[] {
  const next = p.nextToken === undefined ? 0 : p.nextToken;
  return [
    VERSION,
    p.fingerprint,
    p.readOrder === "asc" ? 0 : 1,
    p.token,
    p.offset,
    p.perPage,
    p.imageKey,
    next,
    back.flatMap((link) => [link.token, link.perPage]),
  ];
}

/** The payload is signed, so a shape error means a cursor of another version: refused all the same. */
function fromTuple(payload: Buffer): EdgePosition {
  let tuple: unknown;
  try {
    tuple = JSON.parse(payload.toString("utf8"));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(tuple) || tuple.length !== 9 || tuple[0] !== VERSION) throw malformed();
  const [, print, order, token, offset, perPage, imageKey, next, flatBack] = tuple as unknown[];
  if (
    typeof print !== "string" ||
    (order !== 0 && order !== 1) ||
    !isToken(token) ||
    !isIndex(offset) ||
    !isSize(perPage) ||
    typeof imageKey !== "string" ||
    !(next === 0 || isToken(next)) ||
    !Array.isArray(flatBack) ||
    flatBack.length % 2 !== 0
  ) {
    throw malformed();
  }
  const back: PageLink[] = [];
  for (let i = 0; i < flatBack.length; i += 2) {
    const [linkToken, linkSize] = [flatBack[i], flatBack[i + 1]];
    if (!isToken(linkToken) || !isSize(linkSize)) throw malformed();
    back.push({ token: linkToken, perPage: linkSize });
  }
  return {
    fingerprint: print,
    readOrder: order === 0 ? "asc" : "desc",
    token,
    offset,
    perPage,
    imageKey,
    ...(next === 0 ? {} : { nextToken: next }),
    back,
  };
}

/** 48 bits of SHA-256: enough to tell the images of one page apart, small whatever the id's length. */
export function imageKeyOf(imageId: string): string {
  return createHash("sha256").update(imageId).digest("base64url").slice(0, 8);
}

/** Fingerprint of what a cursor is only valid for: the filters and the sort order. */
export function queryFingerprint(query: unknown): string {
  return createHash("sha256").update(JSON.stringify(query)).digest("base64url").slice(0, 12);
}

function isToken(t: unknown): t is string | null {
  return t === null || (typeof t === "string" && t.length > 0 && t.length <= MAX_TOKEN_CHARS);
}

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isSize(value: unknown): value is number {
  return isIndex(value) && value > 0;
}

function malformed() {
  return inputError("Malformed cursor: pass back a cursor exactly as this API returned it.", { argument: "cursor" });
}
