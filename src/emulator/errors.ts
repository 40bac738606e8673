import { ApiError } from "./http.ts";

/**
 * Every failure the emulator answers, in one place. Codes the API is known to answer (documented,
 * or seen in practice) are used as they are; the others are this emulator's choice and are listed in
 * the README ("Deliberate choices").
 */
export const apiErrors = {
  missingAuth: () =>
    new ApiError(400, [{ code: 9106, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" }]),
  malformedAuth: () =>
    new ApiError(400, [
      {
        code: 6003,
        message: "Invalid request headers",
        error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }],
      },
    ]),
  authentication: () => new ApiError(403, [{ code: 10000, message: "Authentication error" }]),
  invalidObjectIdentifier: (path: string) =>
    new ApiError(400, [
      { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
    ]),
  noRoute: () => new ApiError(404, [{ code: 7000, message: "No route for that URI" }]),
  methodNotAllowed: () => new ApiError(405, [{ code: 10405, message: "Method not allowed for this endpoint" }]),
  rateLimited: (retryAfterSeconds: number) =>
    new ApiError(
      429,
      [{ code: 10013, message: "Rate limited. Please wait and consider throttling your request speed" }],
      {
        "retry-after": String(retryAfterSeconds),
      },
    ),

  badRequest: (message: string) => new ApiError(400, [{ code: 5400, message }]),
  imageNotFound: () => new ApiError(404, [{ code: 5404, message: "Image not found" }]),
  variantNotFound: () => new ApiError(404, [{ code: 5404, message: "Variant not found" }]),
  signingKeyNotFound: () => new ApiError(404, [{ code: 5404, message: "Signing key not found" }]),
  imageIdTaken: () =>
    new ApiError(409, [{ code: 5409, message: "Resource already exists: an image with this ID already exists" }]),
  variantIdTaken: () =>
    new ApiError(409, [{ code: 5409, message: "Resource already exists: a variant with this ID already exists" }]),
  fileTooLarge: (maxBytes: number) =>
    new ApiError(413, [{ code: 5413, message: `Uploaded image must be smaller than ${maxBytes} bytes` }]),
  formTooLarge: (maxBytes: number) =>
    new ApiError(413, [{ code: 5413, message: `The request body must be at most ${maxBytes} bytes` }]),
  notMultipart: () =>
    new ApiError(415, [
      {
        code: 5415,
        message: "Images must be uploaded as a form, not as raw image data. Please use multipart/form-data format",
      },
    ]),
  unsupportedFormat: () =>
    new ApiError(415, [
      { code: 5455, message: "Uploaded image must be a PNG, JPEG, GIF, WebP, SVG, AVIF or HEIC image" },
    ]),
  dimensionsTooLarge: (message: string) => new ApiError(422, [{ code: 5450, message }]),
  variantLimit: (max: number) =>
    new ApiError(400, [{ code: 5470, message: `The account already has the maximum of ${max} variants` }]),
  publicVariantUndeletable: () => new ApiError(400, [{ code: 5471, message: "The public variant cannot be deleted" }]),
  uploadUrlUsed: () => new ApiError(409, [{ code: 5409, message: "This upload URL has already been used" }]),
  uploadUrlExpired: () => new ApiError(403, [{ code: 5403, message: "This upload URL has expired" }]),
};
