import { deliveryUrl, type EmulatorContext } from "./context.ts";
import type { ImageRecord } from "./state.ts";

/** An image as the API returns it (upload, details, update, list items). */
export interface WireImage {
  id: string;
  /** Absent on drafts: the docs' draft example has no file name, there is no file yet. */
  filename?: string;
  /** `null` when unset: the spec declares the field nullable. */
  creator: string | null;
  meta: Record<string, unknown>;
  requireSignedURLs: boolean;
  uploaded: string;
  variants: string[];
  draft?: true;
}

/**
 * Variant URLs are derived from the account's variants at read time, so a deleted variant
 * disappears from every image at once, as upstream.
 */
export function imageToWire(image: ImageRecord, ctx: EmulatorContext): WireImage {
  const variants = [...ctx.state.variants.keys()].map((variant) => deliveryUrl(ctx.config, image.id, variant));
  return {
    id: image.id,
    ...(image.draft ? {} : { filename: image.filename }),
    creator: image.creator,
    meta: image.meta,
    requireSignedURLs: image.requireSignedURLs,
    uploaded: image.uploaded,
    variants,
    ...(image.draft ? { draft: true as const } : {}),
  };
}
