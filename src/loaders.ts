import DataLoader from "dataloader";
import {
  type CloudflareImagesApi,
  type Image,
  type SigningKey,
  UpstreamNotFoundError,
  type Variant,
} from "./upstream/index.ts";

/**
 * Per-request loaders: every lookup of a GraphQL request goes through them, so each image is
 * fetched once, the variant list once and the key list once, however many fields ask.
 */
export interface Loaders {
  /** Null for an image that does not exist. */
  readonly image: DataLoader<string, Image | null>;
  /** Every variant of the account: one call serves every `Variant` in the request. */
  variants(): Promise<Variant[]>;
  variant(name: string): Promise<Variant | null>;
  signingKeys(): Promise<SigningKey[]>;
  /** Seeds the image loader with what a list returned, so later lookups cost nothing. */
  primeImages(images: readonly Image[]): void;
  /** Forgets everything (after a mutation), so nothing in the request serves stale data. */
  clearAll(): void;
}

export function createLoaders(
  api: CloudflareImagesApi,
  options: { concurrency: number; onCacheHit?: (loader: LoaderName) => void },
): Loaders {
  const hit = options.onCacheHit ?? (() => {});
  const image = new DataLoader<string, Image | null>(
    (ids) =>
      mapBounded(ids, options.concurrency, async (id) => {
        try {
          return await api.images.get(id);
        } catch (error) {
          if (error instanceof UpstreamNotFoundError) return null;
          return error as Error;
        }
      }),
    { cacheMap: new CountingCacheMap(() => hit("image")) },
  );
  let variants: Promise<Variant[]> | undefined;
  let keys: Promise<SigningKey[]> | undefined;
  const loaders: Loaders = {
    image,
    variants: () => {
      if (variants) hit("variants");
      variants ??= api.variants.list();
      return variants;
    },
    variant: async (name) => (await loaders.variants()).find((v) => v.id === name) ?? null,
    signingKeys: () => {
      if (keys) hit("signingKeys");
      keys ??= api.keys.list();
      return keys;
    },
    primeImages: (images) => {
      for (const i of images) image.clear(i.id).prime(i.id, i);
    },
    clearAll: () => {
      image.clearAll();
      variants = undefined;
      keys = undefined;
    },
  };
  return loaders;
}

export type LoaderName = "image" | "variants" | "signingKeys";

/** DataLoader's cache, counting the lookups it answers (priming always clears first, so only loads hit). */
class CountingCacheMap<K, V> extends Map<K, V> {
  readonly #onHit: () => void;

  constructor(onHit: () => void) {
    super();
    this.#onHit = onHit;
  }

  override get(key: K): V | undefined {
    const value = super.get(key);
    if (value !== undefined) this.#onHit();
    return value;
  }
}

/** Runs `task` over `items` with at most `limit` running at once; results keep the items' order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
