/** The formats the upstream accepts as uploads (TIFF, BMP and others are refused there). */
export const SOURCE_FORMATS = ["JPEG", "PNG", "GIF", "WEBP", "AVIF", "HEIC", "SVG"] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** A tiny stand-in shown while the image loads. */
export interface Placeholder {
  /** ThumbHash (https://evanw.github.io/thumbhash/), base64. */
  thumbhash: string;
  /** A 16-pixel PNG drawn from the thumbhash (about 0.4 kB), usable as Next.js `blurDataURL`. */
  dataURL: string;
  /** The average colour, `#rrggbb`. */
  dominantColor: string;
}

/** What the bytes of an image say about it; never changes under its id. */
export interface ImageFacts {
  /** As a browser displays it: EXIF orientations 5–8 swap the stored width and height. */
  width: number;
  height: number;
  byteSize: number;
  sourceFormat: SourceFormat;
  animated: boolean;
  hasAlpha: boolean;
  /** SHA-256 of the stored bytes, lowercase hex. */
  contentHash: string;
  /**
   * Absent when the pixels are not decoded here: HEIC (the prebuilt libvips has no HEVC decoder),
   * and GIF or AVIF frames too large to decode whole within the memory bound.
   */
  placeholder: Placeholder | undefined;
}

/** Kept per image: the facts, or why they could not be had (the image itself is still served). */
export type FactsRecord =
  | { status: "READY"; facts: ImageFacts }
  | { status: "FAILED"; reason: string; byteSize?: number; contentHash?: string };

export function aspectRatioOf(facts: Pick<ImageFacts, "width" | "height">): number {
  return facts.width / facts.height;
}
