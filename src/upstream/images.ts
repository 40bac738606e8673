import type { AccountCaller, CallOptions } from "./account.ts";
import type { StreamedAnswer } from "./http-types.ts";
import { multipartBody, type StreamedFile } from "./multipart.ts";
import { type Image, type ImagePage, parseImage, parseImageList } from "./wire.ts";

export type SortOrder = "asc" | "desc";

/** Operators of the v2 list's `meta.<path>[<op>]` filters, as the Cloudflare API reference lists them. */
export const META_FILTER_OPERATORS = [
  "eq",
  "eq:string",
  "eq:number",
  "eq:boolean",
  "gt",
  "gte",
  "lt",
  "lte",
  "gt:number",
  "gte:number",
  "lt:number",
  "lte:number",
  "in",
  "in:string",
  "in:number",
] as const;
export type MetaFilterOperator = (typeof META_FILTER_OPERATORS)[number];

export interface MetaFilter {
  /** Dot path into the metadata: `album.name`. */
  path: string;
  op: MetaFilterOperator;
  /** For `in` operators, the values joined with `|`. */
  value: string;
}

export interface ListImagesQuery {
  continuationToken?: string | null;
  perPage?: number;
  sortOrder?: SortOrder;
  creator?: string | null;
  meta?: readonly MetaFilter[];
}

export interface ImageUpdate {
  metadata?: Record<string, unknown>;
  creator?: string;
  requireSignedURLs?: boolean;
}

/**
 * The upstream's size limit for one image: 10 MB
 * (https://developers.cloudflare.com/images/upload-images/#supported-image-formats).
 */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** What a new image may be given besides its bytes, by an upload or a direct upload. */
export interface NewImageFields {
  id?: string;
  metadata?: Record<string, unknown>;
  creator?: string;
  requireSignedURLs?: boolean;
}

/** Exactly one of `file` and `url`. */
export interface ImageUpload extends NewImageFields {
  file?: StreamedFile;
  url?: string;
}

export class ImagesApi {
  readonly #call: AccountCaller;

  constructor(call: AccountCaller) {
    this.#call = call;
  }

  async get(imageId: string, options?: CallOptions): Promise<Image> {
    const route = "/v1/{image_id}";
    return parseImage(await this.#call.json("GET", route, { image_id: imageId }, options), route);
  }

  /** One page of the v2 list. */
  async list(query: ListImagesQuery, options?: CallOptions): Promise<ImagePage> {
    const params = new URLSearchParams();
    if (query.continuationToken) params.set("continuation_token", query.continuationToken);
    if (query.perPage !== undefined) params.set("per_page", String(query.perPage));
    if (query.sortOrder) params.set("sort_order", query.sortOrder);
    if (query.creator !== undefined && query.creator !== null) params.set("creator", query.creator);
    for (const filter of query.meta ?? []) params.append(`meta.${filter.path}[${filter.op}]`, filter.value);
    const route = "/v2";
    return parseImageList(await this.#call.json("GET", route, {}, { ...options, query: params }), route);
  }

  /** One page of the (deprecated) v1 list: numbered pages. */
  async listNumbered(
    query: { page: number; perPage: number; creator?: string | null },
    options?: CallOptions,
  ): Promise<Image[]> {
    const params = new URLSearchParams({ page: String(query.page), per_page: String(query.perPage) });
    if (query.creator !== undefined && query.creator !== null) params.set("creator", query.creator);
    const route = "/v1";
    return parseImageList(await this.#call.json("GET", route, {}, { ...options, query: params }), route).images;
  }

  /** Never retried: the file is streamed once, and a second try could create a second image. */
  async upload(upload: ImageUpload, options?: CallOptions): Promise<Image> {
    const route = "/v1";
    const body = multipartBody(
      {
        url: upload.url,
        id: upload.id,
        creator: upload.creator,
        metadata: upload.metadata === undefined ? undefined : JSON.stringify(upload.metadata),
        requireSignedURLs: upload.requireSignedURLs === undefined ? undefined : String(upload.requireSignedURLs),
      },
      upload.file,
    );
    return parseImage(await this.#call.json("POST", route, {}, { ...options, body }), route);
  }

  async update(imageId: string, update: ImageUpdate, options?: CallOptions): Promise<Image> {
    const route = "/v1/{image_id}";
    return parseImage(
      await this.#call.json("PATCH", route, { image_id: imageId }, { ...options, json: update }),
      route,
    );
  }

  async delete(imageId: string, options?: CallOptions): Promise<void> {
    await this.#call.json("DELETE", "/v1/{image_id}", { image_id: imageId }, options);
  }

  /** The original bytes, streamed. */
  blob(imageId: string, options?: CallOptions): Promise<StreamedAnswer> {
    return this.#call.stream("/v1/{image_id}/blob", { image_id: imageId }, options);
  }
}
