import type { BatchTokens } from "./batch.ts";
import type { Control } from "./control.ts";
import type { EmulatorState } from "./state.ts";

export interface EmulatorLimits {
  /** 10 MB per file (https://developers.cloudflare.com/images/upload-images/#supported-image-formats). */
  maxFileBytes: number;
  maxSidePixels: number;
  maxMegapixels: number;
  maxMetadataBytes: number;
  maxVariants: number;
  /** `stats.count.allowed`. */
  allowedImages: number;
}

export const REAL_LIMITS: EmulatorLimits = {
  maxFileBytes: 10 * 1024 * 1024,
  maxSidePixels: 12_000,
  maxMegapixels: 100,
  maxMetadataBytes: 1024,
  maxVariants: 100,
  allowedImages: 100_000,
};

export interface EmulatorConfig {
  accountId: string;
  /** The `<account_hash>` of delivery and upload URLs. */
  accountHash: string;
  token: string;
  /** `http://host:port` the emulator is reached at; delivery and upload URLs start with it. */
  origin: string;
  limits: EmulatorLimits;
  /** Changing an image's `requireSignedURLs` gives it a new id, as the spec's "new UID on a change" reads. */
  newIdOnSignedUrlsChange: boolean;
}

/** What every handler gets beside its request. */
export interface EmulatorContext {
  readonly state: EmulatorState;
  readonly control: Control;
  readonly config: EmulatorConfig;
  readonly batchTokens: BatchTokens;
  now(): number;
}

/** Delivery URL in the path shape of imagedelivery.net: `<origin>/cdn/<account_hash>/<image_id>/<variant>`. */
export function deliveryUrl(config: EmulatorConfig, imageId: string, variant: string): string {
  return `${config.origin}/cdn/${config.accountHash}/${encodeImageIdPath(imageId)}/${encodeURIComponent(variant)}`;
}

/** One-time upload URL in the shape of upload.imagedelivery.net: `<origin>/upload/<account_hash>/<image_id>`. */
export function uploadUrl(config: EmulatorConfig, imageId: string): string {
  return `${config.origin}/upload/${config.accountHash}/${encodeImageIdPath(imageId)}`;
}

/**
 * Custom ids keep their `/` sub-paths in delivery URLs; a literal `%` becomes `%25`
 * (https://developers.cloudflare.com/images/upload-images/upload-custom-path/).
 */
export function encodeImageIdPath(imageId: string): string {
  return imageId.split("/").map(encodeURIComponent).join("/");
}
