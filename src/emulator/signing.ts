import { createHmac, timingSafeEqual } from "node:crypto";
import type { SigningKeyRecord } from "./state.ts";

/**
 * The string a delivery signature covers
 * (https://developers.cloudflare.com/images/manage-images/serve-images/serve-private-images/): the
 * path as sent, `?`, and the query
 * without `sig`, serialised the way `URLSearchParams` does it, as the docs' signing example does.
 */
export function signaturePayload(pathname: string, searchParams: URLSearchParams): string {
  const unsigned = new URLSearchParams(searchParams);
  unsigned.delete("sig");
  return `${pathname}?${unsigned.toString()}`;
}

export function deliverySignature(payload: string, keyValue: string): string {
  return createHmac("sha256", Buffer.from(keyValue, "utf8")).update(payload, "utf8").digest("hex");
}

/** Adds `exp` (Unix seconds) and the matching `sig` to a delivery URL, the way a client signs it. */
export function signUrl(url: string, keyValue: string, exp: number): string {
  const signed = new URL(url);
  signed.searchParams.delete("sig");
  signed.searchParams.set("exp", String(exp));
  signed.searchParams.set("sig", deliverySignature(signaturePayload(signed.pathname, signed.searchParams), keyValue));
  return signed.toString();
}

export type SignatureVerdict = "valid" | "missing" | "expired" | "invalid";

/**
 * Checks `exp` and `sig` of a delivery request against every current key: rotating keys keeps
 * URLs signed with the other keys working, and deleting a key breaks the URLs it signed.
 */
export function verifySignedDelivery(url: URL, keys: readonly SigningKeyRecord[], nowMs: number): SignatureVerdict {
  const exp = url.searchParams.get("exp");
  const sig = url.searchParams.get("sig");
  if (exp === null || sig === null) return "missing";
  if (!/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/.test(sig)) return "invalid";
  const payload = signaturePayload(url.pathname, url.searchParams);
  const given = Buffer.from(sig, "hex");
  const signedByKnownKey = keys.some((key) =>
    timingSafeEqual(Buffer.from(deliverySignature(payload, key.value), "hex"), given),
  );
  if (!signedByKnownKey) return "invalid";
  // Checked after the signature so a forged `exp` reads as tampering, not as expiry.
  return Number(exp) * 1000 > nowMs ? "valid" : "expired";
}
