import type { Viewer } from "./auth/index.ts";
import type { Config } from "./config.ts";
import type { Live } from "./live/index.ts";
import { createLoaders, type LoaderName, type Loaders } from "./loaders.ts";
import type { CursorCodec } from "./schema/cursor.ts";
import type { TokenChainMemo } from "./schema/token-chain.ts";
import type { CloudflareImagesApi } from "./upstream/index.ts";

/** Made once per app: cursors signed with one key, and the way back through token chains. */
export interface PaginationSupport {
  readonly cursors: CursorCodec;
  readonly memo: TokenChainMemo;
}

/** What every resolver gets: made fresh for each GraphQL request, never shared. */
export interface Context {
  readonly api: CloudflareImagesApi;
  readonly loaders: Loaders;
  readonly config: Config;
  /** Who is calling, with which scopes. */
  readonly viewer: Viewer;
  /** Fires when the client goes away; passed to every upstream call. */
  readonly signal: AbortSignal;
  readonly pagination: PaginationSupport;
  /** Subscriptions' shared state: image events and draft watches. */
  readonly live: Live;
}

export interface ContextInput {
  /** On the caller's own Cloudflare token in `forward` mode, so loaders never mix two tokens' data. */
  api: CloudflareImagesApi;
  config: Config;
  viewer: Viewer;
  signal: AbortSignal;
  pagination: PaginationSupport;
  live: Live;
  onLoaderCacheHit?: (loader: LoaderName) => void;
}

export function createContext({
  api,
  config,
  viewer,
  signal,
  pagination,
  live,
  onLoaderCacheHit,
}: ContextInput): Context {
  return Object.freeze({
    api,
    config,
    viewer,
    signal,
    pagination,
    live,
    loaders: createLoaders(api, { concurrency: config.loaderConcurrency, signal, onCacheHit: onLoaderCacheHit }),
  });
}
