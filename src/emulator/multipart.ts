import { apiErrors } from "./errors.ts";
import type { ApiError } from "./http.ts";

/** Room for an upload form's text fields and part headers beside the file itself. */
export const FORM_FIELDS_ALLOWANCE = 64 * 1024;

/**
 * Reads a `multipart/form-data` body of at most `maxBytes`, counting bytes as they arrive so a
 * huge or endless body is refused without being held in memory. A declared Content-Length above
 * the cap is refused before reading anything.
 */
export async function readMultipart(
  request: Request,
  maxBytes: number,
  tooLarge: () => ApiError = () => apiErrors.formTooLarge(maxBytes),
): Promise<FormData> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) throw apiErrors.notMultipart();
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge();

  const body = await readAtMost(request, maxBytes);
  if (!body) throw tooLarge();
  try {
    return await new Response(body, { headers: { "content-type": contentType } }).formData();
  } catch {
    throw apiErrors.badRequest("The multipart/form-data body could not be parsed");
  }
}

/**
 * The body, or undefined as soon as it passes `maxBytes`. The rest is left unread rather than
 * cancelled: cancelling tears the socket down before the refusal is written, and a client still
 * sending would see a broken pipe instead of the 413.
 */
async function readAtMost(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      reader.releaseLock();
      return undefined;
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
