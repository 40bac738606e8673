import type { Config } from "./config.ts";
import { createLoaders, type LoaderName, type Loaders } from "./loaders.ts";
import type { CloudflareImagesApi } from "./upstream/index.ts";

/** What every resolver gets: made fresh for each GraphQL request, never shared. */
export interface Context {
  readonly api: CloudflareImagesApi;
  readonly loaders: Loaders;
  readonly config: Config;
  /** Fires when the client goes away; passed to every upstream call. */
  readonly signal: AbortSignal;
}

export function createContext(
  api: CloudflareImagesApi,
  config: Config,
  signal: AbortSignal,
  hooks: { onLoaderCacheHit?: (loader: LoaderName) => void } = {},
): Context {
  return Object.freeze({
    api,
    config,
    signal,
    loaders: createLoaders(api, { concurrency: config.loaderConcurrency, signal, onCacheHit: hooks.onLoaderCacheHit }),
  });
}
