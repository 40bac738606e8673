import { cssColour, type Scene, waveLine } from "./scene.ts";

const WAVE_SAMPLES = 48;

/** The same seaside scene as the raster samples, as SVG text with explicit pixel size and a viewBox. */
export function sceneSvg(width: number, height: number, scene: Scene): string {
  const round = (value: number) => Math.round(value * 10) / 10;
  const wave = Array.from({ length: WAVE_SAMPLES + 1 }, (_, i) => {
    const x = i / WAVE_SAMPLES;
    return `${round(x * width)},${round(waveLine(scene, x) * height)}`;
  });
  const shortSide = Math.min(width, height);
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${cssColour(scene.skyTop)}"/>
      <stop offset="1" stop-color="${cssColour(scene.skyBottom)}"/>
    </linearGradient>
    <linearGradient id="sea" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${cssColour(scene.seaTop)}"/>
      <stop offset="1" stop-color="${cssColour(scene.seaBottom)}"/>
    </linearGradient>
  </defs>
  <rect width="${width}" height="${height}" fill="url(#sky)"/>
  <circle cx="${round(scene.sunX * width)}" cy="${round(scene.sunY * height)}" r="${round(scene.sunRadius * shortSide)}" fill="${cssColour(scene.sunColour)}"/>
  <path d="M${wave.join(" L")} L${width},${height} L0,${height} Z" fill="url(#sea)"/>
</svg>
`;
}
