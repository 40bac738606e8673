/**
 * Hostile and broken requests, generated from a seed so that a failure can be replayed: bodies,
 * content types, syntax, variables, cursors, ids, filters, aliases, multipart and GET parameters.
 * None of them may change data: writes only ever name images, variants or keys that do not exist,
 * or carry input the API must refuse.
 */
import { documentRequests } from "./hostile-documents.ts";
import { httpRequests } from "./hostile-http.ts";
import { JSON_TYPE, NASTY_STRINGS, NASTY_VALUES } from "./hostile-values.ts";

export interface HostileRequest {
  kind: string;
  method: "GET" | "POST" | "PUT" | "DELETE" | "OPTIONS";
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface FuzzContext {
  /** Images that exist: read freely, never written. */
  imageIds: string[];
  /** A real cursor of `images(first: 5)`, to tamper with. */
  cursor: string;
}

/** The seeded choices and request shapes both families of requests are made of. */
export interface Generator {
  ctx: FuzzContext;
  next(): number;
  int(n: number): number;
  pickOf<T>(items: readonly T[]): T;
  /** A string that has broken servers before. */
  nasty(): string;
  /** A value of the wrong type or size, or a nasty string. */
  value(): unknown;
  existing(): string;
  missingId(): string;
  b64(text: string): string;
  post(kind: string, body: unknown, headers?: Record<string, string>): HostileRequest;
  gql(kind: string, query: string, variables?: unknown): HostileRequest;
}

/** A small deterministic generator (an LCG): the same seed gives the same requests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export function hostileRequests(seed: number, count: number, ctx: FuzzContext): HostileRequest[] {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pickOf = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const nasty = () => pickOf(NASTY_STRINGS);
  const post = (kind: string, body: unknown, headers: Record<string, string> = JSON_TYPE): HostileRequest => ({
    kind,
    method: "POST",
    path: "/graphql",
    headers,
    body: typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const gen: Generator = {
    ctx,
    next,
    int,
    pickOf,
    nasty,
    value: () => (next() < 0.5 ? pickOf(NASTY_VALUES) : nasty()),
    existing: () => pickOf(ctx.imageIds),
    missingId: () => `fuzz-missing-${int(1e9)}${next() < 0.3 ? `/${nasty()}` : ""}`,
    b64: (text) => Buffer.from(text).toString(next() < 0.5 ? "base64" : "base64url"),
    post,
    gql: (kind, query, variables) => post(kind, { query, variables }),
  };
  const makers = [...httpRequests(gen), ...documentRequests(gen)];
  return Array.from({ length: count }, () => pickOf(makers)());
}
