import type { Viewer } from "./auth/index.ts";
import type { Config, UpstreamConfig } from "./config.ts";
import { createLoaders, type LoaderName, type Loaders } from "./loaders.ts";
import { type CloudflareImagesApi, createImagesApi, type Transport } from "./upstream/index.ts";

/** What every resolver gets: made fresh for each GraphQL request, never shared. */
export interface Context {
  readonly api: CloudflareImagesApi;
  readonly loaders: Loaders;
  readonly config: Config;
  /** Who is calling, with which scopes. */
  readonly viewer: Viewer;
  /** Fires when the client goes away; passed to every upstream call. */
  readonly signal: AbortSignal;
}

export interface ContextInput {
  transport: Transport;
  upstream: UpstreamConfig;
  config: Config;
  viewer: Viewer;
  signal: AbortSignal;
  onLoaderCacheHit?: (loader: LoaderName) => void;
}

/**
 * In `forward` mode the viewer carries its own Cloudflare token, and the request's api (and so its
 * loaders) is built on it; the transport keys in-flight coalescing by token, so nothing is shared.
 */
export function createContext({
  transport,
  upstream,
  config,
  viewer,
  signal,
  onLoaderCacheHit,
}: ContextInput): Context {
  const api = createImagesApi(transport, upstream.accountId, viewer.upstreamToken ?? upstream.token);
  return Object.freeze({
    api,
    config,
    viewer,
    signal,
    loaders: createLoaders(api, { concurrency: config.loaderConcurrency, signal, onCacheHit: onLoaderCacheHit }),
  });
}
