import { apiErrors } from "./errors.ts";
import { ApiError } from "./http.ts";

/** How long fetching an image by URL may take, headers and body together. */
const FETCH_TIMEOUT_MS = 15_000;

export interface RemoteImage {
  bytes: Uint8Array;
  /** The URL's last path segment, the name upstream gives images uploaded by URL. */
  filename: string;
}

/**
 * Fetches the image of an upload by URL. Never holds more than `maxBytes`: a larger declared
 * length is refused before the body, and a body that grows past it is cut off.
 */
export async function fetchRemoteImage(rawUrl: string, maxBytes: number): Promise<RemoteImage> {
  const url = parseImageUrl(rawUrl);
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: "follow" });
  } catch {
    throw couldNotFetch();
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw couldNotFetch(response.status);
  }
  if (Number(response.headers.get("content-length") ?? "0") > maxBytes) {
    await response.body?.cancel();
    throw apiErrors.fileTooLarge(maxBytes);
  }
  return { bytes: await readBody(response, maxBytes), filename: lastSegment(url) };
}

function parseImageUrl(rawUrl: string): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw apiErrors.badRequest("url must be an absolute http or https URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw apiErrors.badRequest("url must be an absolute http or https URL");
  }
  return url;
}

async function readBody(response: Response, maxBytes: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw apiErrors.fileTooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw couldNotFetch();
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function lastSegment(url: URL): string {
  const segment = url.pathname.split("/").pop() ?? "";
  try {
    return decodeURIComponent(segment) || url.hostname;
  } catch {
    return segment;
  }
}

/**
 * The caller learns that the fetch failed and, for an answer, its status class: nothing about the
 * network (refused, unresolved, timed out, the exact status), so uploads by URL cannot map it.
 */
function couldNotFetch(status?: number): ApiError {
  const statusClass = status === undefined ? "" : ` (HTTP ${Math.floor(status / 100)}xx)`;
  return apiErrors.badRequest(`could not fetch the image${statusClass}`);
}
