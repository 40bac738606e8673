/** An 8-bit RGB picture, row by row, three bytes per pixel: what every sample encoder takes. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}
