import type { EmulatorContext } from "../context.ts";
import { apiErrors } from "../errors.ts";
import { envelope, type Router } from "../http.ts";
import { matchesMetaFilters, parseMetaFilters } from "../meta-filter.ts";
import type { ImageRecord } from "../state.ts";
import { imageToWire } from "../wire.ts";

const PER_PAGE = { min: 10, max: 10_000, default: 1000 } as const;
const MAX_TOKEN_CHARS = 32;

type SortOrder = "asc" | "desc";

export function registerImageListRoutes(router: Router<EmulatorContext>): void {
  router
    .add("GET", "/accounts/{account_id}/images/v1", listImagesV1)
    .add("GET", "/accounts/{account_id}/images/v2", listImagesV2);
}

/**
 * `GET /v1` (deprecated): numbered pages, newest first like v2's default order. The spec's result
 * holds only `images` (no `result_info`).
 */
async function listImagesV1(
  request: Request,
  _params: Record<string, string>,
  ctx: EmulatorContext,
): Promise<Response> {
  const query = new URL(request.url).searchParams;
  const page = integerParam(query, "page", 1, Number.MAX_SAFE_INTEGER, 1);
  const perPage = integerParam(query, "per_page", PER_PAGE.min, PER_PAGE.max, PER_PAGE.default);
  const matchesCreator = creatorFilter(query);
  const skip = (page - 1) * perPage;
  const images: ImageRecord[] = [];
  let matched = 0;
  for (const image of inOrder(ctx.state.listed(), "desc")) {
    if (!matchesCreator(image)) continue;
    matched += 1;
    if (matched <= skip) continue;
    images.push(image);
    if (images.length === perPage) break;
  }
  return envelope({ images: images.map((image) => imageToWire(image, ctx)) });
}

/**
 * `GET /v2`: keyset pages. The token holds the sort order and the listing position (`seq`) of the
 * page's last image, so images added or deleted between pages cause neither repeats nor gaps.
 */
async function listImagesV2(
  request: Request,
  _params: Record<string, string>,
  ctx: EmulatorContext,
): Promise<Response> {
  const query = new URL(request.url).searchParams;
  const perPage = integerParam(query, "per_page", PER_PAGE.min, PER_PAGE.max, PER_PAGE.default);
  const order = sortOrder(query);
  const after = continuationPosition(query, order);
  const matchesCreator = creatorFilter(query);
  const metaFilters = parseMetaFilters(query);

  const images: ImageRecord[] = [];
  let more = false;
  for (const image of inOrder(ctx.state.listed(), order)) {
    if (after !== undefined && (order === "desc" ? image.seq >= after : image.seq <= after)) continue;
    if (!matchesCreator(image) || !matchesMetaFilters(image.meta, metaFilters)) continue;
    if (images.length === perPage) {
      more = true;
      break;
    }
    images.push(image);
  }
  const last = images.at(-1);
  return envelope({
    images: images.map((image) => imageToWire(image, ctx)),
    continuation_token: more && last ? encodeToken(order, last.seq) : null,
  });
}

function inOrder(images: ImageRecord[], order: SortOrder): ImageRecord[] {
  return order === "asc" ? images : images.toReversed();
}

/** Absent: every image; empty: images without a creator (spec). */
function creatorFilter(query: URLSearchParams): (image: ImageRecord) => boolean {
  const creator = query.get("creator");
  if (creator === null) return () => true;
  return creator === "" ? (image) => image.creator === null : (image) => image.creator === creator;
}

function integerParam(query: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw apiErrors.badRequest(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function sortOrder(query: URLSearchParams): SortOrder {
  const order = query.get("sort_order") ?? "desc";
  if (order !== "asc" && order !== "desc") throw apiErrors.badRequest("sort_order must be asc or desc");
  return order;
}

const TOKEN_BODY = /^(asc|desc):([1-9]\d{0,15})$/;

function encodeToken(order: SortOrder, seq: number): string {
  return Buffer.from(`${order}:${seq}`).toString("base64url");
}

/** The `seq` a token continues after; an empty token (what the SDK sends for null) is no token. */
function continuationPosition(query: URLSearchParams, order: SortOrder): number | undefined {
  const token = query.get("continuation_token");
  if (token === null || token === "") return undefined;
  const match = token.length <= MAX_TOKEN_CHARS ? TOKEN_BODY.exec(Buffer.from(token, "base64url").toString()) : null;
  if (!match || encodeToken(match[1] as SortOrder, Number(match[2])) !== token) {
    throw apiErrors.badRequest("continuation_token is not a token this list returned");
  }
  if (match[1] !== order) {
    throw apiErrors.badRequest(`continuation_token continues a list in ${match[1]} order, not ${order}`);
  }
  return Number(match[2]);
}
