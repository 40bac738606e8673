import type { CacheConfig } from "../config/cache.ts";
import type {
  Image,
  ImagePage,
  ListImagesQuery,
  SigningKey,
  Stats,
  UpstreamErrorItem,
  Variant,
} from "../upstream/index.ts";
import type { EntrySpec } from "./entity-cache.ts";

/**
 * What entries depend on, account-wide (a write with one token ends what every token read):
 * `image:<id>` one record and the unfiltered list pages showing it, `imageList` every list page
 * (what is listed where: uploads, deletes), `filteredLists` the pages of lists filtered by creator
 * or metadata (an edit can move an image into or out of them), `imageWrites` any write to an image
 * (a page read while one lands is not kept), `variantUrls` every record's variant URLs.
 */
export const DEP = {
  image: (id: string) => `image:${id}`,
  imageList: "imageList",
  filteredLists: "filteredLists",
  imageWrites: "imageWrites",
  stats: "stats",
  variants: "variants",
  variantUrls: "variantUrls",
  signingKeys: "signingKeys",
} as const;

/** An id the upstream answered 404 for, remembered briefly with what it said. */
export interface NotFound {
  readonly notFound: { readonly message: string; readonly route: string; readonly errors: UpstreamErrorItem[] };
}

export type ImageLookup = Image | NotFound;

export function isNotFound(value: ImageLookup): value is NotFound {
  return "notFound" in value;
}

/** The entry specs of each kind, with the configured lifetimes. */
export class Specs {
  readonly #config: CacheConfig;

  constructor(config: CacheConfig) {
    this.#config = config;
  }

  image(id: string): EntrySpec<ImageLookup> {
    const { ttlSeconds, notFoundTtlSeconds } = this.#config;
    return {
      kind: "image",
      key: id,
      deps: [DEP.image(id), DEP.variantUrls],
      shared: true,
      // A draft changes as soon as its browser upload lands, which no write of ours would tell.
      ttlMs: (value) => 1000 * (isNotFound(value) ? notFoundTtlSeconds : value.draft ? 0 : ttlSeconds.image),
      decode: (json) => decodeImageLookup(json as ImageLookup),
    };
  }

  imageList(query: ListImagesQuery): EntrySpec<ImagePage> {
    const { continuationToken = null, perPage = null, sortOrder = null, creator = null, meta = [] } = query;
    const filtered = creator !== null || meta.length > 0;
    return {
      kind: "imageList",
      key: JSON.stringify([continuationToken, perPage, sortOrder, creator, meta.map((m) => [m.path, m.op, m.value])]),
      deps: filtered ? [DEP.imageList, DEP.filteredLists, DEP.variantUrls] : [DEP.imageList, DEP.variantUrls],
      // An edit leaves an unfiltered page's order as it was (it is by upload time): it ends only the pages showing the image.
      valueDeps: filtered ? undefined : (page) => page.images.map((image) => DEP.image(image.id)),
      guardDeps: [DEP.imageWrites],
      shared: true,
      ttlMs: () => 1000 * this.#config.ttlSeconds.imageList,
      decode: (json) => {
        const page = json as ImagePage;
        return { images: page.images.map(decodeImage), continuationToken: page.continuationToken };
      },
    };
  }

  variants(): EntrySpec<Variant[]> {
    return {
      kind: "variants",
      key: "all",
      deps: [DEP.variants],
      shared: true,
      ttlMs: () => 1000 * this.#config.ttlSeconds.variants,
      decode: (json) => json as Variant[],
    };
  }

  /** In this process only: the list carries the keys' secret values. */
  signingKeys(): EntrySpec<SigningKey[]> {
    return {
      kind: "signingKeys",
      key: "all",
      deps: [DEP.signingKeys],
      shared: false,
      ttlMs: () => 1000 * this.#config.ttlSeconds.signingKeys,
      decode: (json) => json as SigningKey[],
    };
  }

  stats(): EntrySpec<Stats> {
    return {
      kind: "stats",
      key: "account",
      deps: [DEP.stats],
      shared: true,
      ttlMs: () => 1000 * this.#config.ttlSeconds.stats,
      decode: (json) => json as Stats,
    };
  }
}

function decodeImageLookup(json: ImageLookup): ImageLookup {
  return isNotFound(json) ? json : decodeImage(json);
}

function decodeImage(json: Image): Image {
  const uploaded = json.uploaded === null ? null : new Date(json.uploaded as unknown as string);
  return { ...json, uploaded };
}
