import type { Loaders } from "../loaders.ts";
import type {
  CloudflareImagesApi,
  DirectUpload,
  DirectUploadRequest,
  Image,
  ImageUpdate,
  ImageUpload,
  SigningKey,
  Variant,
} from "../upstream/index.ts";
import type { ChangeEvents, ImageChangeEvent } from "./change-events.ts";

/** Who writes, and through what: a GraphQL request's, or a bulk job's without a request. */
export interface WriteScope {
  /**
   * The api the write goes through. A request's is bound to the entity cache, which invalidates
   * what each write changed, here and on every replica, before the write returns.
   */
  readonly api: CloudflareImagesApi;
  /** The credential's digest (`ctx.upstreamKey`): "" for the server's own token. */
  readonly tenant: string;
  /** A request's loaders: reset after the write, then primed with its result. A bulk job has none. */
  readonly loaders?: Loaders | undefined;
}

type VariantsApi = CloudflareImagesApi["variants"];
export type NewVariant = Parameters<VariantsApi["create"]>[0];
export type VariantChange = Parameters<VariantsApi["update"]>[1];

export interface UpdatedImage {
  readonly image: Image;
  /** Set when the upstream gave the image a new id (changing requireSignedURLs may): the id it had. */
  readonly previousImageId: string | undefined;
}

/**
 * The one write path: every write of the app (mutations, bulk jobs, the catalogue's repairs) goes
 * through these, which call the upstream, reset and prime the scope's loaders, and emit one change
 * event per image written. A failed upstream call throws its upstream error and emits nothing.
 */
export interface Writes {
  readonly events: ChangeEvents;
  updateImage(scope: WriteScope, imageId: string, update: ImageUpdate): Promise<UpdatedImage>;
  deleteImage(scope: WriteScope, imageId: string): Promise<void>;
  /** From a file (streamed) or a URL: "created" once the upstream answers. */
  uploadImage(scope: WriteScope, upload: ImageUpload): Promise<Image>;
  /** A draft, not yet an image: no event (the draft watch reports it "created" when its file arrives). */
  createDirectUpload(scope: WriteScope, request: DirectUploadRequest): Promise<DirectUpload>;
  createVariant(scope: WriteScope, variant: NewVariant): Promise<Variant>;
  updateVariant(scope: WriteScope, name: string, change: VariantChange): Promise<Variant>;
  deleteVariant(scope: WriteScope, name: string): Promise<void>;
  /** Every key after the change. */
  createSigningKey(scope: WriteScope, name: string): Promise<SigningKey[]>;
  /** The keys left. */
  deleteSigningKey(scope: WriteScope, name: string): Promise<SigningKey[]>;
}

/** What a write changed besides the upstream: what the loaders learn, and the image event. */
interface Consequences {
  prime?(loaders: Loaders): void;
  change?: Omit<ImageChangeEvent, "tenant">;
}

export function createWrites(events: ChangeEvents): Writes {
  const write = async <T>(
    scope: WriteScope,
    call: (api: CloudflareImagesApi) => Promise<T>,
    consequences: (result: T) => Consequences = () => ({}),
  ): Promise<T> => {
    const result = await call(scope.api);
    const { prime, change } = consequences(result);
    // Nothing later in the request may read what the write made stale.
    scope.loaders?.clearAll();
    if (scope.loaders) prime?.(scope.loaders);
    if (change) await events.emit({ ...change, tenant: scope.tenant });
    return result;
  };
  return {
    events,
    updateImage: async (scope, imageId, update) => {
      const image = await write(
        scope,
        (api) => api.images.update(imageId, update),
        (updated) => ({
          prime: (loaders) => loaders.primeImages([updated]),
          change: {
            kind: "updated",
            imageId: updated.id,
            image: updated,
            ...(updated.id === imageId ? {} : { previousImageId: imageId }),
          },
        }),
      );
      return { image, previousImageId: image.id === imageId ? undefined : imageId };
    },
    deleteImage: (scope, imageId) =>
      write(
        scope,
        (api) => api.images.delete(imageId),
        () => ({ prime: (loaders) => loaders.image.prime(imageId, null), change: { kind: "deleted", imageId } }),
      ),
    uploadImage: (scope, upload) =>
      write(
        scope,
        (api) => api.images.upload(upload),
        (image) => ({
          prime: (loaders) => loaders.primeImages([image]),
          change: { kind: "created", imageId: image.id, image },
        }),
      ),
    createDirectUpload: (scope, request) => write(scope, (api) => api.directUploads.create(request)),
    createVariant: (scope, variant) => write(scope, (api) => api.variants.create(variant)),
    updateVariant: (scope, name, change) => write(scope, (api) => api.variants.update(name, change)),
    deleteVariant: (scope, name) => write(scope, (api) => api.variants.delete(name)),
    createSigningKey: (scope, name) => write(scope, (api) => api.keys.create(name)),
    deleteSigningKey: (scope, name) => write(scope, (api) => api.keys.delete(name)),
  };
}
