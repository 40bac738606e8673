import {
  type CallOptions,
  type CloudflareImagesApi,
  type Image,
  type ImagePage,
  UpstreamNotFoundError,
} from "../upstream/index.ts";
import type { EntityCache, EntrySpec, Load, LoadCall, Primed, ReadScope } from "./entity-cache.ts";
import { DEP, type ImageLookup, isNotFound, type Specs } from "./specs.ts";

/**
 * The upstream api with the entity cache in front: the same methods, so loaders and resolvers
 * need not know it is there. Reads are answered from the cache when it can; every write ends
 * what it changed, here and on every replica, before it returns.
 */
export function cachedApi(
  api: CloudflareImagesApi,
  cache: EntityCache,
  specs: Specs,
  scope: ReadScope,
): CloudflareImagesApi {
  const read = <T>(
    options: CallOptions | undefined,
    spec: EntrySpec<T>,
    load: Load<T>,
    prime?: (value: T) => Primed[],
  ) => cache.read(options?.fresh ? { ...scope, readThrough: true } : scope, spec, load, prime);
  // Even a failed write may have changed something upstream: what it may have touched is ended either way.
  const writing = async <T>(call: () => Promise<T>, deps: (result: T | undefined) => string[]): Promise<T> => {
    let result: T | undefined;
    try {
      result = await call();
      return result;
    } finally {
      await cache.invalidate(deps(result));
    }
  };
  const { images, variants, keys, stats, directUploads } = api;
  const withCall = (call: LoadCall, options?: CallOptions): CallOptions => ({
    signal: call.signal ?? options?.signal,
    coalesceTag: call.coalesceTag,
  });

  return {
    images: {
      get: async (imageId, options) => {
        const lookup = await read<ImageLookup>(options, specs.image(imageId), (call) =>
          images.get(imageId, withCall(call, options)).catch((error: unknown) => {
            if (!(error instanceof UpstreamNotFoundError)) throw error;
            return { notFound: { message: error.message, route: error.route, errors: [...error.errors] } };
          }),
        );
        if (!isNotFound(lookup)) return lookup;
        const { message, route, errors } = lookup.notFound;
        throw new UpstreamNotFoundError(message, route, 404, errors);
      },
      list: (query, options) =>
        read<ImagePage>(
          options,
          specs.imageList(query),
          (call) => images.list(query, withCall(call, options)),
          (page) => page.images.map((image) => ({ spec: specs.image(image.id), value: image })),
        ),
      listNumbered: (query, options) => images.listNumbered(query, options),
      blob: (imageId, options) => images.blob(imageId, options),
      upload: (upload, options) =>
        writing(
          () => images.upload(upload, options),
          (image) => newImageDeps(image?.id ?? upload.id),
        ),
      update: (imageId, update, options) =>
        writing(
          () => images.update(imageId, update, options),
          (image: Image | undefined) => [
            DEP.image(imageId),
            DEP.filteredLists,
            DEP.imageWrites,
            // Changing requireSignedURLs may give the image a new id: both ids, and every page, are ended.
            ...(image?.id === imageId ? [] : [DEP.imageList, ...(image ? [DEP.image(image.id)] : [])]),
          ],
        ),
      delete: (imageId, options) =>
        writing(
          () => images.delete(imageId, options),
          () => [DEP.image(imageId), DEP.imageList, DEP.imageWrites, DEP.stats],
        ),
    },
    variants: {
      list: (options) => read(options, specs.variants(), (call) => variants.list(withCall(call, options))),
      get: (name, options) => variants.get(name, options),
      // A new or deleted variant adds or removes a delivery URL in every image record.
      create: (variant, options) =>
        writing(
          () => variants.create(variant, options),
          () => [DEP.variants, DEP.variantUrls],
        ),
      update: (name, change, options) =>
        writing(
          () => variants.update(name, change, options),
          () => [DEP.variants],
        ),
      delete: (name, options) =>
        writing(
          () => variants.delete(name, options),
          () => [DEP.variants, DEP.variantUrls],
        ),
    },
    keys: {
      list: (options) => read(options, specs.signingKeys(), (call) => keys.list(withCall(call, options))),
      create: (name, options) =>
        writing(
          () => keys.create(name, options),
          () => [DEP.signingKeys],
        ),
      delete: (name, options) =>
        writing(
          () => keys.delete(name, options),
          () => [DEP.signingKeys],
        ),
    },
    stats: {
      get: (options) => read(options, specs.stats(), (call) => stats.get(withCall(call, options))),
    },
    directUploads: {
      create: (request, options) =>
        writing(
          () => directUploads.create(request, options),
          (draft) => newImageDeps(draft?.id ?? request.id),
        ),
    },
  };
}

/** A new image: every list page, the count, and whatever was remembered of its id (an earlier 404). */
function newImageDeps(id: string | undefined): string[] {
  return [DEP.imageList, DEP.imageWrites, DEP.stats, ...(id === undefined ? [] : [DEP.image(id)])];
}
