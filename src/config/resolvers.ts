import { declareVariables, type EnvReader } from "./env-reader.ts";

export const RESOLVER_VARIABLES = declareVariables({
  LOADER_CONCURRENCY: {
    type: "integer",
    default: 10,
    min: 1,
    max: 1000,
    defaultText: "10 (6 under a memory limit below 256 MB)",
    description: "Image lookups in flight at once per GraphQL request.",
  },
  UPSTREAM_PAGE_SIZE: {
    type: "integer",
    default: 1000,
    min: 10,
    max: 10_000,
    description: "Largest `per_page` asked of the v2 list.",
  },
  SIGNED_URL_DEFAULT_EXPIRES_IN: {
    type: "integer",
    default: 3600,
    min: 1,
    max: 31_536_000,
    description: "Seconds a signed delivery URL stays valid when `expiresIn` is not given.",
  },
  SIGNED_URL_MAX_EXPIRES_IN: {
    type: "integer",
    default: 7 * 86_400,
    min: 1,
    max: 31_536_000,
    description: "Largest `expiresIn` of a signed delivery URL, in seconds.",
  },
  FLEXIBLE_VARIANTS: {
    type: "boolean",
    defaultText: "`true` with the emulator, `false` with real credentials",
    description: "The account has flexible variants enabled; `false`: `transform` and `srcset` are refused.",
  },
});

/** What the schema's resolvers are given of the configuration (see `resolverSettings`). */
export interface ResolverConfig {
  /** At most this many image lookups in flight per GraphQL request. */
  readonly loaderConcurrency: number;
  /** Largest `per_page` asked of the v2 list. */
  readonly upstreamPageSize: number;
  readonly signedUrls: { readonly defaultExpiresIn: number; readonly maxExpiresIn: number };
  /**
   * The account has flexible variants enabled (`PATCH /v1/config`), which the API cannot be asked:
   * off, `transform` and `srcset` are refused instead of giving URLs that do not load.
   */
  readonly flexibleVariants: boolean;
}

/** `loaderConcurrency`: the default, sized from the memory limit. */
export function readResolverConfig(
  read: EnvReader,
  { development, loaderConcurrency }: { development: boolean; loaderConcurrency: number },
): ResolverConfig {
  const v = RESOLVER_VARIABLES;
  const signedUrls = {
    defaultExpiresIn: read.integer(v.SIGNED_URL_DEFAULT_EXPIRES_IN),
    maxExpiresIn: read.integer(v.SIGNED_URL_MAX_EXPIRES_IN),
  };
  if (signedUrls.defaultExpiresIn > signedUrls.maxExpiresIn) {
    read.problem("SIGNED_URL_DEFAULT_EXPIRES_IN must not exceed SIGNED_URL_MAX_EXPIRES_IN");
  }
  return {
    loaderConcurrency: read.integer(v.LOADER_CONCURRENCY, loaderConcurrency),
    upstreamPageSize: read.integer(v.UPSTREAM_PAGE_SIZE),
    signedUrls,
    // The embedded emulator starts with them on; a real account has them off until enabled.
    flexibleVariants: read.boolean(v.FLEXIBLE_VARIANTS, development),
  };
}
