import type { AccountCaller, CallOptions } from "./account.ts";
import type { NewImageFields } from "./images.ts";
import { multipartBody } from "./multipart.ts";
import { type DirectUpload, parseDirectUpload } from "./wire.ts";

export interface DirectUploadRequest extends NewImageFields {
  expiry: Date;
}

export class DirectUploadsApi {
  readonly #call: AccountCaller;

  constructor(call: AccountCaller) {
    this.#call = call;
  }

  /** A draft image and the one-time URL a browser posts its file to (v2: it takes the image's fields). */
  async create(request: DirectUploadRequest, options?: CallOptions): Promise<DirectUpload> {
    const route = "/v2/direct_upload";
    const body = multipartBody({
      id: request.id,
      creator: request.creator,
      metadata: request.metadata === undefined ? undefined : JSON.stringify(request.metadata),
      requireSignedURLs: request.requireSignedURLs === undefined ? undefined : String(request.requireSignedURLs),
      expiry: request.expiry.toISOString(),
    });
    return parseDirectUpload(await this.#call.json("POST", route, {}, { ...options, body }), route);
  }
}
