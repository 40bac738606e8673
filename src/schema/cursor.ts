import { createHash } from "node:crypto";
import type { SortOrder } from "../upstream/index.ts";
import { badUserInput } from "./errors.ts";

/**
 * Where an edge sits in the upstream's v2 list: the continuation token of its page (null for the
 * first page), its offset and the page size, the order that page was read in, and a fingerprint of
 * the query's filters and sort order. The last edge of a page also carries the next page's token,
 * so resuming after it costs no extra call.
 */
export interface EdgePosition {
  fingerprint: string;
  /** The order the page was read in: the query's, or its reverse for `last` without `before`. */
  readOrder: SortOrder;
  token: string | null;
  offset: number;
  perPage: number;
  /** Present on the last edge of a page: the token of the page after it (null when none). */
  nextToken?: string | null;
}

const VERSION = 1;

export function encodeCursor(p: EdgePosition): string {
  const tuple = [VERSION, p.fingerprint, p.readOrder === "asc" ? 0 : 1, p.token, p.offset, p.perPage];
  if (p.nextToken !== undefined) tuple.push(p.nextToken);
  return Buffer.from(JSON.stringify(tuple)).toString("base64url");
}

export function decodeCursor(cursor: string, fingerprint: string): EdgePosition {
  let tuple: unknown;
  try {
    tuple = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(tuple) || (tuple.length !== 6 && tuple.length !== 7) || tuple[0] !== VERSION) throw malformed();
  const [, print, order, token, offset, perPage, nextToken] = tuple as unknown[];
  const validToken = (t: unknown) => t === null || (typeof t === "string" && t.length > 0 && t.length <= 64);
  if (
    typeof print !== "string" ||
    (order !== 0 && order !== 1) ||
    !validToken(token) ||
    !isIndex(offset) ||
    !isIndex(perPage) ||
    perPage === 0 ||
    (tuple.length === 7 && !validToken(nextToken))
  ) {
    throw malformed();
  }
  if (print !== fingerprint) {
    throw badUserInput(
      "This cursor belongs to a query with other filters or another sort order; start again without it.",
      {
        argument: "cursor",
      },
    );
  }
  return {
    fingerprint: print,
    readOrder: order === 0 ? "asc" : "desc",
    token: token as string | null,
    offset: offset as number,
    perPage: perPage as number,
    ...(tuple.length === 7 ? { nextToken: nextToken as string | null } : {}),
  };
}

/** Fingerprint of what a cursor is only valid for: the filters and the sort order. */
export function queryFingerprint(query: unknown): string {
  return createHash("sha256").update(JSON.stringify(query)).digest("base64url").slice(0, 12);
}

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function malformed() {
  return badUserInput("Malformed cursor: pass back a cursor exactly as this API returned it.", { argument: "cursor" });
}
