import { createHash } from "node:crypto";
import type { Scope } from "./auth/index.ts";
import type { CatalogueSource } from "./catalogue/connection.ts";
import type { Config } from "./config/index.ts";
import type { RequestFacts } from "./facts/index.ts";
import type { BulkJobs } from "./jobs/index.ts";
import type { Live } from "./live/index.ts";
import { createLoaders, type LoaderName, type Loaders } from "./loaders.ts";
import type { CursorCodec } from "./pagination/cursor.ts";
import type { TokenChainMemo } from "./pagination/token-chain.ts";
import type { CloudflareImagesApi } from "./upstream/index.ts";
import type { Writes } from "./writes/index.ts";

/** Made once per app: cursors signed with one key, and the way back through token chains. */
export interface PaginationSupport {
  readonly cursors: CursorCodec;
  readonly memo: TokenChainMemo;
}

/** The settings resolvers read; nothing else of the configuration (no credentials) reaches them. */
export interface ResolverSettings {
  readonly upstreamPageSize: number;
  readonly maxUploadBytes: number;
  readonly signedUrls: Config["signedUrls"];
  readonly flexibleVariants: boolean;
}

export function resolverSettings(config: Config): ResolverSettings {
  return Object.freeze({
    upstreamPageSize: config.upstreamPageSize,
    maxUploadBytes: config.limits.maxUploadBytes,
    signedUrls: config.signedUrls,
    flexibleVariants: config.flexibleVariants,
  });
}

/** Who is calling, as resolvers see it: a name for logs and the scopes, never a credential. */
export interface Caller {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
}

/** What every resolver gets: made fresh for each GraphQL request, never shared. */
export interface Context {
  /** Bound to the request's abort signal: every call stops when the client goes away. */
  readonly api: CloudflareImagesApi;
  readonly loaders: Loaders;
  readonly settings: ResolverSettings;
  readonly viewer: Caller;
  readonly pagination: PaginationSupport;
  /**
   * Which upstream credential `api` reads with, as a digest ("" for the server's own): state shared
   * across requests, such as a subscription's poll loop, is kept apart per credential (`forward` mode).
   */
  readonly upstreamKey: string;
  /** Subscriptions' shared state: image events and draft watches. */
  readonly live: Live;
  /** The account's index for search, sort and counts, and its cursors. */
  readonly catalogue: CatalogueSource;
  /** The app's one write path, which every mutation writes through (one per app, like `live`). */
  readonly writes: Writes;
  /** Image facts as this request's caller sees them; absent with `FACTS=off`. */
  readonly facts: RequestFacts | undefined;
  /** Bulk jobs: made by the bulk mutations, run in the background (one per app). */
  readonly jobs: BulkJobs;
}

export interface ContextInput {
  /** On the caller's own Cloudflare token in `forward` mode, so loaders never mix two tokens' data. */
  api: CloudflareImagesApi;
  settings: ResolverSettings;
  viewer: Caller;
  /** In `forward` mode: the caller's own Cloudflare token, which `api` reads with. */
  upstreamToken: string | undefined;
  loaderConcurrency: number;
  pagination: PaginationSupport;
  live: Live;
  catalogue: CatalogueSource;
  writes: Writes;
  facts?: RequestFacts | undefined;
  jobs: BulkJobs;
  onLoaderCacheHit?: (loader: LoaderName) => void;
}

export function createContext(input: ContextInput): Context {
  const { api, settings, viewer, pagination, live, catalogue, writes, jobs, onLoaderCacheHit } = input;
  return Object.freeze({
    api,
    settings,
    viewer: Object.freeze({ name: viewer.name, scopes: viewer.scopes }),
    pagination,
    upstreamKey: upstreamKeyOf(input.upstreamToken),
    live,
    catalogue,
    writes,
    facts: input.facts,
    jobs,
    loaders: createLoaders(api, { concurrency: input.loaderConcurrency, onCacheHit: onLoaderCacheHit }),
  });
}

/** A digest of the credential the api reads with ("" for the server's own), to keep state apart per credential. */
export function upstreamKeyOf(upstreamToken: string | undefined): string {
  return upstreamToken === undefined ? "" : createHash("sha256").update(upstreamToken).digest("hex");
}
