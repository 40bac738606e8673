import { createHmac, createSecretKey, type KeyObject } from "node:crypto";

const imported = new WeakMap<{ readonly value: string }, KeyObject>();

/**
 * A signing key's value as a key object, imported once for as long as the key's record lives: a
 * raw key is imported again by every createHmac, at six times the cost of the MAC itself.
 */
export function deliveryKey(key: { readonly value: string }): KeyObject {
  let object = imported.get(key);
  if (!object) {
    object = createSecretKey(key.value, "utf8");
    imported.set(key, object);
  }
  return object;
}

/**
 * Signs a delivery URL for an image that requires signed URLs: `exp` (Unix seconds) is added,
 * then `sig` = lowercase hex HMAC-SHA256 of `path?query`, keyed with the signing key's value as UTF-8.
 */
export function signDeliveryUrl(deliveryUrl: string, keyValue: string | KeyObject, expiresAt: Date): string {
  const url = new URL(deliveryUrl);
  url.searchParams.delete("sig");
  url.searchParams.set("exp", String(Math.floor(expiresAt.getTime() / 1000)));
  const signature = createHmac("sha256", keyValue)
    .update(`${url.pathname}?${url.searchParams.toString()}`)
    .digest("hex");
  url.searchParams.set("sig", signature);
  return url.toString();
}

/**
 * Flexible-variant options by Cloudflare's option names, already validated. The order of this
 * list is the order in the URL, so equal options always give the same URL (one CDN cache entry).
 */
export interface FlexibleVariantOptions {
  width?: number;
  height?: number;
  fit?: string;
  gravity?: string;
  quality?: number;
  format?: string;
  dpr?: number;
  sharpen?: number;
  blur?: number;
  brightness?: number;
  contrast?: number;
  gamma?: number;
  saturation?: number;
  rotate?: number;
  metadata?: string;
  anim?: boolean;
}

/** Cloudflare's short names where it has one (`w=320`), as its own examples write them. */
const URL_NAMES: Record<keyof FlexibleVariantOptions, string> = {
  width: "w",
  height: "h",
  fit: "fit",
  gravity: "g",
  quality: "q",
  format: "f",
  dpr: "dpr",
  sharpen: "sharpen",
  blur: "blur",
  brightness: "brightness",
  contrast: "contrast",
  gamma: "gamma",
  saturation: "saturation",
  rotate: "rotate",
  metadata: "metadata",
  anim: "anim",
};

/** `w=320,fit=cover`: the variant slot of a flexible-variant URL. */
export function flexibleVariantSlot(options: FlexibleVariantOptions): string {
  const pairs: string[] = [];
  for (const [name, urlName] of Object.entries(URL_NAMES) as [keyof FlexibleVariantOptions, string][]) {
    const value = options[name];
    if (value === undefined) continue;
    pairs.push(`${urlName}=${typeof value === "number" ? decimal(value) : String(value)}`);
  }
  return pairs.join(",");
}

/**
 * The image's delivery URL with its variant slot (the last path segment: custom ids may hold `/`)
 * replaced by the options. Such URLs are never signed: Cloudflare refuses flexible variants on
 * images that require signed URLs, so callers must not build one for them.
 */
export function flexibleVariantUrl(deliveryUrl: string, options: FlexibleVariantOptions): string {
  const url = new URL(deliveryUrl);
  url.search = "";
  const segments = url.pathname.split("/");
  segments[segments.length - 1] = flexibleVariantSlot(options);
  url.pathname = segments.join("/");
  return url.toString();
}

/** Plain decimal notation (never `1e-7`), at most three places. */
function decimal(value: number): string {
  return String(Number(value.toFixed(3)));
}
