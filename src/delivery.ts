import { createHmac } from "node:crypto";

/**
 * Signs a delivery URL for an image that requires signed URLs (fact sheet §8): `exp` (Unix
 * seconds) is added, then `sig` = lowercase hex HMAC-SHA256 of `path?query`, keyed with the
 * signing key's value as UTF-8.
 */
export function signDeliveryUrl(deliveryUrl: string, keyValue: string, expiresAt: Date): string {
  const url = new URL(deliveryUrl);
  url.searchParams.delete("sig");
  url.searchParams.set("exp", String(Math.floor(expiresAt.getTime() / 1000)));
  const signature = createHmac("sha256", keyValue)
    .update(`${url.pathname}?${url.searchParams.toString()}`)
    .digest("hex");
  url.searchParams.set("sig", signature);
  return url.toString();
}
