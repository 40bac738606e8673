import type { Plugin } from "graphql-yoga";
import type { Authenticator, Viewer } from "../auth/index.ts";
import { authenticationRefusal, refusalResponse, upstreamRefusal } from "../errors.ts";
import { type CloudflareImagesApi, classifyUpstreamFailure } from "../upstream/index.ts";

const BLOB_PATH = /^\/images\/(.+)\/blob$/;

export interface BlobRouteOptions {
  authenticate: Authenticator;
  /** The api to read with for this caller (its own token in `forward` mode), bound to the request's signal. */
  apiFor(viewer: Viewer, signal: AbortSignal): CloudflareImagesApi;
  /** `AUTH_MODE=forward`: the upstream's refusal of the caller's own token is the caller's. */
  forward: boolean;
}

/**
 * `GET /images/<imageId>/blob`: the original bytes, streamed from the upstream as they come, with
 * its content type. Custom ids may hold `/`, so everything between `/images/` and `/blob` is the id.
 * Guarded like GraphQL: valid credentials (401 otherwise) with `images:read` (403 otherwise).
 */
export function useBlobRoute({ authenticate, apiFor, forward }: BlobRouteOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      const match = BLOB_PATH.exec(url.pathname);
      if (!match) return;
      if (request.method !== "GET" && request.method !== "HEAD") {
        const response = refusalResponse({ kind: "method", message: "Use GET." });
        response.headers.set("allow", "GET, HEAD");
        return endResponse(response);
      }
      let imageId: string;
      try {
        imageId = decodeURIComponent(match[1] ?? "");
      } catch {
        return endResponse(refusalResponse({ kind: "notFound", message: "No image has this id." }));
      }
      let viewer: Viewer;
      try {
        viewer = await authenticate(request);
      } catch (error) {
        const refusal = authenticationRefusal(error);
        if (!refusal) throw error;
        return endResponse(refusalResponse(refusal));
      }
      if (!viewer.scopes.has("images:read")) {
        const message = "Reading image bytes needs the images:read scope.";
        return endResponse(refusalResponse({ kind: "authorization", message }));
      }
      endResponse(await blobResponse(apiFor(viewer, request.signal), imageId, request, forward));
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

async function blobResponse(
  api: CloudflareImagesApi,
  imageId: string,
  request: Request,
  forward: boolean,
): Promise<Response> {
  try {
    const blob = await api.images.blob(imageId);
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
    const failure = classifyUpstreamFailure(error);
    if (!failure) throw error;
    if (failure.kind === "notFound") {
      return refusalResponse({ kind: "notFound", message: `No image has the id "${imageId}".` });
    }
    return refusalResponse(upstreamRefusal(failure, { forward }));
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
