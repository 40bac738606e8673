import type { FetchAPI, Plugin } from "graphql-yoga";
import { UploadSession } from "../uploads/incoming-upload.ts";
import { isMultipart, parseMultipart, type StreamingUploadsOptions } from "../uploads/multipart-parser.ts";

/**
 * The GraphQL multipart request spec, streamed. Yoga's own parser reads the whole form (files
 * included) into memory before executing; this one executes as soon as `operations` and `map`
 * are in and lets the resolver read each file part straight from the request.
 */
export function useStreamingUploads(options: StreamingUploadsOptions): Plugin {
  const sessions = new WeakMap<Request, UploadSession>();
  return {
    onRequestParse({ request, setRequestParser, fetchAPI }) {
      if (request.method !== "POST" || !isMultipart(request.headers.get("content-type"))) return;
      setRequestParser((incoming) => {
        const session = new UploadSession();
        sessions.set(request, session);
        return parseMultipart(detached(incoming, fetchAPI), session, options);
      });
    },
    onResponse({ request }) {
      sessions.get(request)?.close("The request ended before this file was used.");
      sessions.delete(request);
    },
  };
}

/**
 * The request with its body behind a stream of its own: cutting a stalled upload then ends that
 * stream, not the socket its answer has yet to go out on. (yoga's body-size cap, which the server
 * turns off, did the same for every body; uploads are the only ones cut while they are read.)
 */
function detached(request: Request, fetchAPI: FetchAPI): Request {
  if (!request.body) return request;
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: request.body.pipeThrough(
      new Transform<Uint8Array, Uint8Array>({ transform: (chunk, controller) => controller.enqueue(chunk) }),
    ),
    duplex: "half",
  } as RequestInit);
}
