import type { EmulatorContext } from "../context.ts";
import { looksLikeFlexibleVariant, parseFlexibleOptions } from "../flexible-variants.ts";
import type { Router } from "../http.ts";
import { type SignatureVerdict, verifySignedDelivery } from "../signing.ts";

const DELIVERY = "/cdn/{account_hash}/{path+}";
/** The Images default browser TTL (2 days). */
const PUBLIC_MAX_AGE_SECONDS = 172_800;

const REFUSALS: Record<Exclude<SignatureVerdict, "valid">, string> = {
  missing: "This image requires a signed URL (exp and sig)",
  expired: "The signed URL has expired",
  invalid: "The signature is not valid",
};

/**
 * Delivery URLs in the path shape of imagedelivery.net, answered like the CDN: the stored bytes,
 * or a short plain-text error (never the API's JSON envelope).
 */
export function registerDeliveryRoutes(router: Router<EmulatorContext>): void {
  router.add("GET", DELIVERY, deliver).add("HEAD", DELIVERY, deliver);
}

async function deliver(request: Request, params: Record<string, string>, ctx: EmulatorContext): Promise<Response> {
  if (params.account_hash !== ctx.config.accountHash) return plainText(404, "Unknown account hash");
  const target = splitImagePath(params.path ?? "");
  if (!target) return plainText(404, "Image not found");
  const image = ctx.state.images.get(target.imageId);
  if (!image?.file || image.draft) return plainText(404, "Image not found");
  const url = new URL(request.url);
  const variant = ctx.state.variants.get(target.variant);
  if (!variant) {
    if (!looksLikeFlexibleVariant(target.variant)) return plainText(404, "Variant not found");
    const refusal = refuseFlexibleVariant(target.variant, image.requireSignedURLs, ctx);
    if (refusal) return refusal;
  }
  const signed = variant !== undefined && image.requireSignedURLs && !variant.neverRequireSignedURLs;
  if (signed) {
    const verdict = verifySignedDelivery(url, ctx.state.keys, ctx.now());
    if (verdict !== "valid") return plainText(403, REFUSALS[verdict]);
  }
  const bytes = await ctx.state.blobs.get(image.file.blobKey);
  if (!bytes) return plainText(404, "Image not found");
  // Stored blobs never live in a SharedArrayBuffer; the DOM body type just cannot know that.
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: {
      "content-type": image.file.contentType,
      "content-length": String(bytes.byteLength),
      "cache-control": signed ? signedCacheControl(url, ctx.now()) : `public, max-age=${PUBLIC_MAX_AGE_SECONDS}`,
      "x-content-type-options": "nosniff",
    },
  });
}

/**
 * A flexible variant is served (unresized: the emulator checks the options, it does not transform)
 * when the account has them on, the options are valid, and the image is public: the real service
 * refuses them on images that require signed URLs.
 */
function refuseFlexibleVariant(slot: string, requireSignedURLs: boolean, ctx: EmulatorContext): Response | undefined {
  if (!ctx.state.config.flexibleVariants) return plainText(404, "Variant not found (flexible variants are off)");
  const parsed = parseFlexibleOptions(slot);
  if ("error" in parsed) return resizeError(400, 9401, `Invalid or missing options: ${parsed.error}`);
  if (requireSignedURLs) return plainText(403, "Flexible variants cannot be used with images that require signed URLs");
  return undefined;
}

/** How the image service reports a refused transformation: `ERROR <code>` text and `Cf-Resized: err=<code>`. */
function resizeError(status: number, code: number, message: string): Response {
  return new Response(`ERROR ${code}: ${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "cf-resized": `err=${code}` },
  });
}

/** `<image_id>/<variant>`: the last segment names the variant, the rest (custom ids keep `/`) the image. */
function splitImagePath(rawPath: string): { imageId: string; variant: string } | undefined {
  const segments = rawPath.split("/");
  if (segments.length < 2) return undefined;
  try {
    const decoded = segments.map((segment) => decodeURIComponent(segment));
    const variant = decoded.pop() as string;
    return { imageId: decoded.join("/"), variant };
  } catch {
    return undefined;
  }
}

/** A signed answer must not outlive its signature in shared caches. */
function signedCacheControl(url: URL, nowMs: number): string {
  const remaining = Math.floor(Number(url.searchParams.get("exp")) - nowMs / 1000);
  return `private, max-age=${Math.max(0, Math.min(PUBLIC_MAX_AGE_SECONDS, remaining))}`;
}

function plainText(status: number, message: string): Response {
  return new Response(`${status} ${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}
