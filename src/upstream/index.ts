import { AccountCaller, type CallBinding } from "./account.ts";
import { DirectUploadsApi } from "./direct-uploads.ts";
import { ImagesApi } from "./images.ts";
import { SigningKeysApi } from "./keys.ts";
import { StatsApi } from "./stats.ts";
import type { Transport } from "./transport.ts";
import { VariantsApi } from "./variants.ts";

export { type CallBinding, type CallOptions, isAcceptableId, MAX_UPSTREAM_ID_CHARS } from "./account.ts";
export { type BudgetGrant, RequestBudget, type UpstreamBudget } from "./budget.ts";
export type { DirectUploadRequest } from "./direct-uploads.ts";
export * from "./errors.ts";
export * from "./images.ts";
export type { StreamedFile } from "./multipart.ts";
export { SharedBudget, type SharedBudgetOptions } from "./shared-budget.ts";
export { Transport, type TransportEvent, type TransportOptions } from "./transport.ts";
export * from "./wire.ts";

/** A resource's methods without its private state: what a decorator of it (the entity cache) provides too. */
export type Surface<T> = { readonly [K in keyof T]: T[K] };

/** Typed access to one Cloudflare account's Images API with one credential. */
export interface CloudflareImagesApi {
  readonly images: Surface<ImagesApi>;
  readonly variants: Surface<VariantsApi>;
  readonly keys: Surface<SigningKeysApi>;
  readonly stats: Surface<StatsApi>;
  readonly directUploads: Surface<DirectUploadsApi>;
}

/**
 * `binding`: the request's abort signal (every call stops when its client goes away) and the caller
 * whose share of the budget the calls spend, so that no one caller spends more than its share.
 */
export function createImagesApi(
  transport: Transport,
  accountId: string,
  token: string,
  binding: CallBinding = {},
): CloudflareImagesApi {
  const call = new AccountCaller(transport, accountId, token, binding);
  return {
    images: new ImagesApi(call),
    variants: new VariantsApi(call),
    keys: new SigningKeysApi(call),
    stats: new StatsApi(call),
    directUploads: new DirectUploadsApi(call),
  };
}
