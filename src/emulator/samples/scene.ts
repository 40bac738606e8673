import type { RgbImage } from "./raster.ts";

type Rgb = [number, number, number];

/** A seaside picture (sky gradient, sun, waves): something recognisable in a demo, varied by a seed. */
export interface Scene {
  skyTop: Rgb;
  skyBottom: Rgb;
  sunColour: Rgb;
  seaTop: Rgb;
  seaBottom: Rgb;
  /** Positions and sizes as fractions of the picture, so any size draws the same scene. */
  sunX: number;
  sunY: number;
  sunRadius: number;
  horizon: number;
  waveHeight: number;
  waveCount: number;
  wavePhase: number;
}

export function sceneFor(seed: number): Scene {
  const random = mulberry32(seed);
  const skyHue = random() * 360;
  const seaHue = 180 + random() * 50;
  return {
    skyTop: hsl(skyHue, 0.5, 0.8),
    skyBottom: hsl(skyHue + 35, 0.65, 0.62),
    sunColour: hsl(20 + random() * 35, 0.95, 0.6),
    seaTop: hsl(seaHue, 0.6, 0.45),
    seaBottom: hsl(seaHue + 20, 0.65, 0.18),
    sunX: 0.2 + random() * 0.6,
    sunY: 0.15 + random() * 0.3,
    sunRadius: 0.08 + random() * 0.08,
    horizon: 0.55 + random() * 0.2,
    waveHeight: 0.015 + random() * 0.03,
    waveCount: 2 + Math.floor(random() * 5),
    wavePhase: random() * Math.PI * 2,
  };
}

/** Height (fraction from the top) of the sea's edge at `x` (fraction from the left). */
export function waveLine(scene: Scene, x: number): number {
  return scene.horizon + scene.waveHeight * Math.sin(x * scene.waveCount * Math.PI * 2 + scene.wavePhase);
}

export function paintScene(width: number, height: number, scene: Scene): RgbImage {
  const rgb = new Uint8Array(width * height * 3);
  // Both gradients run top to bottom, so each row's two candidate colours are computed once.
  const seaTop = (scene.horizon - scene.waveHeight) * height;
  const sky = rowColours(height, scene.skyTop, scene.skyBottom, 0, scene.horizon * height);
  const sea = rowColours(height, scene.seaTop, scene.seaBottom, seaTop, height);
  const seaLine = Float64Array.from({ length: width }, (_, x) => waveLine(scene, x / width) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = y >= (seaLine[x] ?? 0) ? sea : sky;
      const offset = (y * width + x) * 3;
      rgb[offset] = from[y * 3] ?? 0;
      rgb[offset + 1] = from[y * 3 + 1] ?? 0;
      rgb[offset + 2] = from[y * 3 + 2] ?? 0;
    }
  }
  paintSun(rgb, width, height, scene, seaLine);
  return { width, height, rgb };
}

/** The sun over the sky (never over the sea), with one pixel of soft edge so small discs stay round. */
function paintSun(rgb: Uint8Array, width: number, height: number, scene: Scene, seaLine: Float64Array): void {
  const centreX = scene.sunX * width;
  const centreY = scene.sunY * height;
  const radius = scene.sunRadius * Math.min(width, height);
  const top = Math.max(0, Math.floor(centreY - radius - 1));
  const bottom = Math.min(height - 1, Math.ceil(centreY + radius + 1));
  const left = Math.max(0, Math.floor(centreX - radius - 1));
  const right = Math.min(width - 1, Math.ceil(centreX + radius + 1));
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const cover = radius - Math.sqrt((x - centreX) ** 2 + (y - centreY) ** 2) + 0.5;
      if (cover <= 0 || y >= (seaLine[x] ?? 0)) continue;
      const offset = (y * width + x) * 3;
      const under: Rgb = [rgb[offset] ?? 0, rgb[offset + 1] ?? 0, rgb[offset + 2] ?? 0];
      mixInto(rgb, offset, under, scene.sunColour, cover);
    }
  }
}

/** Colour of each row along a gradient from `from` (at row `start`) to `to` (at row `end`). */
function rowColours(height: number, from: Rgb, to: Rgb, start: number, end: number): Uint8Array<ArrayBuffer> {
  const rows = new Uint8Array(height * 3);
  for (let y = 0; y < height; y++) mixInto(rows, y * 3, from, to, (y - start) / Math.max(1, end - start));
  return rows;
}

export function cssColour([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((value) => value.toString(16).padStart(2, "0")).join("")}`;
}

/** Writes the colour `amount` (clamped to 0..1) of the way from `from` to `to` at `offset`. */
function mixInto(out: Uint8Array, offset: number, from: Rgb, to: Rgb, amount: number): void {
  const t = amount < 0 ? 0 : amount > 1 ? 1 : amount;
  out[offset] = Math.round(from[0] + (to[0] - from[0]) * t);
  out[offset + 1] = Math.round(from[1] + (to[1] - from[1]) * t);
  out[offset + 2] = Math.round(from[2] + (to[2] - from[2]) * t);
}

function hsl(hue: number, saturation: number, lightness: number): Rgb {
  const amplitude = saturation * Math.min(lightness, 1 - lightness);
  const channel = (n: number) => {
    const k = (n + (hue % 360) / 30) % 12;
    return Math.round((lightness - amplitude * Math.max(-1, Math.min(k - 3, 9 - k, 1))) * 255);
  };
  return [channel(0), channel(8), channel(4)];
}

/** A tiny seeded generator (mulberry32): the same seed always draws the same picture. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
