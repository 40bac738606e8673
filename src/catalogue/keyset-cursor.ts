import { createHmac, createSecretKey, timingSafeEqual } from "node:crypto";
import { inputError } from "../errors.ts";
import type { Keyset } from "./model.ts";

export interface KeysetCursorCodec {
  encode(fingerprint: string, keyset: Keyset): string;
  /** BAD_USER_INPUT for anything this codec did not make, or made for another query. */
  decode(cursor: string, fingerprint: string): Keyset;
}

const VERSION = 1;
const TAG_BYTES = 12;
/** An id may take 1,024 characters and a filename 255: room for both, encoded. */
const MAX_CURSOR_CHARS = 4096;

/**
 * Catalogue cursors: the edge's order value and id, signed (HMAC-SHA256, truncated) with a key
 * derived from `secret` as the upstream list's cursors are, under another label, so a cursor of one
 * kind is refused by the other. Replicas sharing the upstream token share the key.
 */
export function createKeysetCursorCodec(secret: string): KeysetCursorCodec {
  const key = createSecretKey(
    createHmac("sha256", secret).update("cloudflare-images-graphql catalogue cursor").digest(),
  );
  const tag = (payload: Buffer) => createHmac("sha256", key).update(payload).digest().subarray(0, TAG_BYTES);
  return {
    encode(fingerprint, keyset) {
      const payload = Buffer.from(JSON.stringify([VERSION, fingerprint, keyset.value, keyset.id]));
      return Buffer.concat([tag(payload), payload]).toString("base64url");
    },
    decode(cursor, fingerprint) {
      if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw malformed();
      const bytes = Buffer.from(cursor, "base64url");
      const payload = bytes.subarray(TAG_BYTES);
      if (bytes.length <= TAG_BYTES || !timingSafeEqual(bytes.subarray(0, TAG_BYTES), tag(payload))) throw malformed();
      let tuple: unknown;
      try {
        tuple = JSON.parse(payload.toString("utf8"));
      } catch {
        throw malformed();
      }
      if (!Array.isArray(tuple) || tuple.length !== 4 || tuple[0] !== VERSION) throw malformed();
      const [, print, value, id] = tuple as unknown[];
      if (
        typeof print !== "string" ||
        (typeof value !== "string" && typeof value !== "number" && value !== null) ||
        typeof id !== "string"
      )
        throw malformed();
      if (print !== fingerprint) {
        throw inputError(
          "This cursor belongs to a query with another search, filter or order; start again without it.",
          { argument: "cursor" },
        );
      }
      return { value, id };
    },
  };
}

function malformed() {
  return inputError("Malformed cursor: pass back a cursor exactly as this API returned it.", { argument: "cursor" });
}
