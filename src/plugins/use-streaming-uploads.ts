import type { Plugin } from "graphql-yoga";
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
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== "POST" || !isMultipart(request.headers.get("content-type"))) return;
      setRequestParser((limited) => {
        const session = new UploadSession();
        sessions.set(request, session);
        return parseMultipart(limited, session, options);
      });
    },
    onResponse({ request }) {
      sessions.get(request)?.close("The request ended before this file was used.");
      sessions.delete(request);
    },
  };
}
