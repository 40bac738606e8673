import type { Plugin } from "graphql-yoga";
import type { LimitsConfig } from "../../config/index.ts";
import { limitError } from "../../errors.ts";

/**
 * Caps request bodies by their declared length before a byte is read: a JSON body at
 * `maxBodyBytes`, a multipart upload at one file plus its operations. Node's HTTP parser holds
 * a body to its Content-Length, so the check cannot be talked around; a body without one (chunked)
 * is refused with 411. The file itself is capped again while it streams.
 */
export function useBodyLimits(limits: LimitsConfig): Plugin {
  return {
    onRequestParse({ request }) {
      if (request.method === "GET" || request.method === "HEAD") return;
      const multipart = request.headers.get("content-type")?.toLowerCase().startsWith("multipart/form-data") ?? false;
      const max = multipart ? limits.maxUploadBytes + limits.maxBodyBytes : limits.maxBodyBytes;
      const declared = request.headers.get("content-length");
      if (declared === null) {
        // A streamed upload is counted while it is read (useStreamingUploads); anything else is buffered.
        if (multipart) return;
        throw limitError("Send the request body with a Content-Length.", "maxBodyBytes", { status: 411 });
      }
      if (Number(declared) > max) {
        const what = multipart ? `an upload of at most ${limits.maxUploadBytes} bytes per file` : `${max} bytes`;
        throw limitError(`The request body is too large: at most ${what}.`, "maxBodyBytes", { status: 413 });
      }
    },
  };
}
