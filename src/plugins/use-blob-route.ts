import type { Plugin } from "graphql-yoga";
import { AuthenticationError, type Authenticator, JwtKeysUnavailableError, type Viewer } from "../auth/index.ts";
import { upstreamErrorExtensions } from "../schema/errors.ts";
import { type CloudflareImagesApi, UpstreamError, UpstreamNotFoundError } from "../upstream/index.ts";

const BLOB_PATH = /^\/images\/(.+)\/blob$/;

export interface BlobRouteOptions {
  authenticate: Authenticator;
  /** The api to read with for this caller (its own token in `forward` mode). */
  apiFor(viewer: Viewer): CloudflareImagesApi;
}

/**
 * `GET /images/<imageId>/blob`: the original bytes, streamed from the upstream as they come, with
 * its content type. Custom ids may hold `/`, so everything between `/images/` and `/blob` is the id.
 * Guarded like GraphQL: valid credentials (401 otherwise) with `images:read` (403 otherwise).
 */
export function useBlobRoute({ authenticate, apiFor }: BlobRouteOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      const match = BLOB_PATH.exec(url.pathname);
      if (!match) return;
      if (request.method !== "GET" && request.method !== "HEAD") {
        return endResponse(json(405, { code: "METHOD_NOT_ALLOWED", message: "Use GET." }, { allow: "GET, HEAD" }));
      }
      let imageId: string;
      try {
        imageId = decodeURIComponent(match[1] ?? "");
      } catch {
        return endResponse(json(404, { code: "NOT_FOUND", message: "No image has this id." }));
      }
      let viewer: Viewer;
      try {
        viewer = await authenticate(request);
      } catch (error) {
        if (error instanceof JwtKeysUnavailableError) {
          return endResponse(
            json(503, { code: "INTERNAL_SERVER_ERROR", message: "Credentials cannot be checked now." }),
          );
        }
        if (!(error instanceof AuthenticationError)) throw error;
        const challenge = { "www-authenticate": "Bearer" };
        return endResponse(json(401, { code: "UNAUTHENTICATED", message: error.message }, challenge));
      }
      if (!viewer.scopes.has("images:read")) {
        return endResponse(
          json(403, { code: "FORBIDDEN", message: "Reading image bytes needs the images:read scope." }),
        );
      }
      endResponse(await blobResponse(apiFor(viewer), imageId, request));
    },
  };
}

/**
 * The bytes are whatever someone uploaded, served from the facade's own origin: never sniffed into
 * another type, and sandboxed so that a script inside (an SVG can hold one) cannot run here.
 */
const UNTRUSTED_CONTENT_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "sandbox; default-src 'none'",
};

/** Raster formats, which cannot carry script; anything else (SVG above all) is a download. */
const INLINE_TYPES = /^image\/(png|jpeg|gif|webp|avif|heic|heif)\s*(;|$)/i;

async function blobResponse(api: CloudflareImagesApi, imageId: string, request: Request): Promise<Response> {
  try {
    const blob = await api.images.blob(imageId, { signal: request.signal });
    const headers: Record<string, string> = {
      "content-type": blob.contentType,
      "cache-control": "private",
      ...UNTRUSTED_CONTENT_HEADERS,
    };
    if (!INLINE_TYPES.test(blob.contentType)) headers["content-disposition"] = "attachment";
    if (blob.contentLength !== undefined) headers["content-length"] = String(blob.contentLength);
    if (request.method === "HEAD") {
      await drain(blob.body);
      return new Response(null, { status: 200, headers });
    }
    return new Response(toReadableStream(blob.body), { status: 200, headers });
  } catch (error) {
    if (error instanceof UpstreamNotFoundError) {
      return json(404, { code: "NOT_FOUND", message: `No image has the id "${imageId}".` });
    }
    if (error instanceof UpstreamError) {
      const mapped = upstreamErrorExtensions(error);
      const code = mapped.extensions.code;
      const status = code === "RATE_LIMITED" ? 429 : code === "BAD_USER_INPUT" ? 400 : 502;
      return json(status, { message: mapped.message, ...mapped.extensions });
    }
    throw error;
  }
}

function toReadableStream(body: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  return new ReadableStream({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of body);
}

function json(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: body }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}
