import type { EmulatorContext } from "./context.ts";
import { apiErrors } from "./errors.ts";
import { detectImage } from "./formats/index.ts";
import type { StoredFile } from "./state.ts";

/**
 * The one gate every image's bytes pass (API upload, upload by URL, one-time upload URL, admin
 * bulk images): size, format by magic bytes, pixel limits; then the bytes are stored. The caller
 * owns the returned blob and must delete it if its own write does not happen.
 */
export async function ingestImageBytes(bytes: Uint8Array, ctx: EmulatorContext): Promise<StoredFile> {
  const { maxFileBytes, maxSidePixels, maxMegapixels } = ctx.config.limits;
  if (bytes.byteLength > maxFileBytes) throw apiErrors.fileTooLarge(maxFileBytes);
  const detected = detectImage(bytes);
  if (!detected) throw apiErrors.unsupportedFormat();
  const { width, height } = detected;
  if (width > maxSidePixels || height > maxSidePixels) {
    throw apiErrors.dimensionsTooLarge(
      `Image dimensions ${width}x${height} exceed the maximum of ${maxSidePixels} pixels per side`,
    );
  }
  if (width * height > maxMegapixels * 1_000_000) {
    throw apiErrors.dimensionsTooLarge(
      `Image area ${width}x${height} exceeds the maximum of ${maxMegapixels} megapixels`,
    );
  }
  const blobKey = await ctx.state.blobs.put(bytes);
  return {
    blobKey,
    format: detected.format,
    contentType: detected.contentType,
    size: bytes.byteLength,
    width,
    height,
  };
}
