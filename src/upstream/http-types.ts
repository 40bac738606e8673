// The upstream's HTTP request and response shapes: what the resources build, the transport sends,
// its hosts route and its readers parse. Types only, so every one of them imports from here.

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** `batch`: the call went to the batch host, outside the global window. */
export type UpstreamHost = "global" | "batch";

export interface UpstreamRequest {
  method: HttpMethod;
  /** Route template, for errors and metrics: `/accounts/{account_id}/images/v1/{image_id}`. */
  route: string;
  /** Path below the base URL, already encoded: `/accounts/abc/images/v1/xyz`. */
  path: string;
  query?: URLSearchParams;
  token: string;
  json?: unknown;
  /** A prepared body (multipart), sent as it is. */
  body?: { contentType: string; stream: AsyncIterable<Uint8Array> };
  signal?: AbortSignal | undefined;
  /** Who the call is made for (API key name, JWT subject, client address), for fair shares of the budget. */
  caller?: string | undefined;
  /** Identical GETs are coalesced only when their tags match too. */
  coalesceTag?: string | undefined;
}

/** A response as undici gives it, before its envelope or stream is read. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array> & { text(): Promise<string>; dump(): Promise<void> };
}

/** A successful response whose body is raw bytes (the blob), streamed to the caller. */
export interface StreamedAnswer {
  contentType: string;
  contentLength: number | undefined;
  body: AsyncIterable<Uint8Array>;
}
