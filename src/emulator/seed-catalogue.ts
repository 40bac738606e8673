/**
 * What the seeded account holds: 36 small images in five formats, from four creators plus some
 * without one, with nested metadata varied enough that every v2 metadata filter operator has
 * something to find (strings, integers and decimals, booleans, a year stored as text, up to three
 * levels deep, one empty object); five private images (never with a custom id, which the real
 * service forbids); products, avatars and the logo under custom ids with `/` sub-paths.
 */
import { PUBLIC_VARIANT, type VariantRecord } from "./state.ts";

export interface SeedImage {
  id?: string;
  filename: string;
  width: number;
  height: number;
  creator: string | null;
  meta: Record<string, unknown>;
  requireSignedURLs: boolean;
}

function image(
  filename: string,
  [width, height]: [number, number],
  creator: string | null,
  meta: Record<string, unknown>,
  options: { id?: string; requireSignedURLs?: boolean } = {},
): SeedImage {
  return { filename, width, height, creator, meta, requireSignedURLs: false, ...options };
}
const album = (name: string, year: number | string) => ({ album: { name, year } });
const at = (city: string) => ({ location: { city, country: "PT" } });

export const SEED_IMAGES: SeedImage[] = [
  image("coast-sunrise.jpg", [400, 267], "user-ada", {
    ...album("Coast", 2024),
    tags: "sea",
    rating: 5,
    published: true,
  }),
  image("coast-noon.jpg", [360, 240], "user-ada", { ...album("Coast", 2024), tags: "sea", rating: 4, published: true }),
  image("coast-dusk.webp", [320, 240], "user-ada", {
    ...album("Coast", 2024),
    tags: "sea",
    rating: 3,
    published: false,
  }),
  image("harbour-boats.png", [320, 240], "user-grace", {
    ...album("Harbour", 2023),
    tags: "boats",
    rating: 4,
    published: true,
    ...at("Porto"),
  }),
  image(
    "harbour-night.jpg",
    [320, 213],
    "user-grace",
    { ...album("Harbour", 2023), tags: "night", rating: 2, published: false },
    { requireSignedURLs: true },
  ),
  image("lighthouse.gif", [200, 300], "user-grace", {
    ...album("Coast", 2022),
    tags: "lighthouse",
    rating: 5,
    published: true,
  }),
  image(
    "chair-01.png",
    [256, 256],
    "studio-bot",
    {
      sku: "CH-01",
      price: 129.5,
      category: "furniture",
      stock: 12,
      published: true,
    },
    { id: "products/chair-01" },
  ),
  image(
    "lamp-02.webp",
    [256, 256],
    "studio-bot",
    {
      sku: "LA-02",
      price: 49.99,
      category: "lighting",
      stock: 0,
      published: true,
    },
    { id: "products/lamp-02" },
  ),
  image(
    "table-03.jpg",
    [320, 256],
    "studio-bot",
    {
      sku: "TA-03",
      price: 349,
      category: "furniture",
      stock: 3,
      published: false,
    },
    { id: "products/table-03" },
  ),
  image(
    "sofa-04.jpg",
    [400, 256],
    "studio-bot",
    {
      sku: "SO-04",
      price: 899,
      category: "furniture",
      stock: 1,
      published: true,
      size: { cm: { width: 210, depth: 90 } },
    },
    { id: "products/sofa-04" },
  ),
  image(
    "logo.svg",
    [240, 80],
    "studio-bot",
    {
      tags: "logo",
      published: true,
      brand: { name: "Acme", colours: 2 },
    },
    { id: "brand/logo" },
  ),
  image("ada.png", [96, 96], "user-ada", { tags: "portrait", rating: 5 }, { id: "avatars/ada" }),
  image("grace.jpg", [96, 96], "user-grace", { tags: "portrait" }, { id: "avatars/grace" }),
  image("linus.gif", [96, 96], "user-linus", { tags: "portrait", rating: 3 }, { id: "avatars/linus" }),
  image("city-rooftops.jpg", [400, 267], "user-linus", {
    ...album("City", 2024),
    tags: "city",
    rating: 4,
    published: true,
    camera: { model: "X100V", settings: { iso: 400 } },
  }),
  image(
    "city-rain.webp",
    [320, 208],
    "user-linus",
    { ...album("City", 2024), tags: "city", rating: 3, published: false },
    { requireSignedURLs: true },
  ),
  image("city-tram.png", [320, 240], "user-linus", {
    ...album("City", 2025),
    tags: "city",
    rating: 5,
    published: true,
    camera: { model: "X100V", settings: { iso: 200 } },
  }),
  image("forest-path.jpg", [360, 240], null, { ...album("Forest", 2021), tags: "forest", rating: 4 }),
  image("forest-moss.gif", [160, 160], null, { tags: "forest", rating: 2, published: false }),
  // The year is text here: `eq:string` finds it where `eq:number` does not.
  image("mountain-lake.jpg", [400, 225], "user-grace", {
    ...album("Mountains", "2023"),
    tags: "lake",
    rating: 5,
    published: true,
  }),
  image(
    "mountain-hut.webp",
    [300, 200],
    "user-grace",
    { ...album("Mountains", 2023), tags: "hut", rating: 4 },
    { requireSignedURLs: true },
  ),
  image("pattern-waves.svg", [200, 200], "studio-bot", { tags: "pattern", published: true }),
  image("pattern-dots.svg", [128, 128], "studio-bot", { tags: "pattern", published: false }),
  image(
    "scan-receipt.png",
    [240, 320],
    null,
    { tags: "document", published: false, pages: 1 },
    { requireSignedURLs: true },
  ),
  image(
    "team-offsite.jpg",
    [400, 267],
    "user-ada",
    { ...album("Team", 2025), tags: "people", rating: 4, published: false },
    { requireSignedURLs: true },
  ),
  image(
    "hero-banner.jpg",
    [640, 240],
    "studio-bot",
    {
      tags: "banner",
      published: true,
      campaign: { name: "Spring", year: 2025 },
    },
    { id: "hero-banner" },
  ),
  image("desert-dunes.png", [400, 240], "user-linus", {
    ...album("Desert", 2020),
    tags: "sand",
    rating: 1,
    published: true,
  }),
  image("desert-night.gif", [240, 160], "user-linus", { ...album("Desert", 2020), tags: "night", rating: 3 }),
  image("snow-peak.webp", [360, 240], null, { tags: "snow", rating: 4, published: true }),
  image("market-fruit.jpg", [320, 320], "user-ada", { tags: "food", rating: 5, published: true, ...at("Lisbon") }),
  image("market-fish.png", [256, 192], "user-ada", { tags: "food", rating: 2, published: false, ...at("Porto") }),
  image("bridge-fog.jpg", [400, 250], "user-grace", {
    ...album("City", 2023),
    tags: "city",
    rating: 3,
    published: true,
  }),
  image("garden-bloom.webp", [320, 240], null, {}),
  image("icon-star.svg", [64, 64], "studio-bot", { tags: "icon" }),
  image("icon-heart.gif", [64, 64], "studio-bot", { tags: "icon" }),
  image("sunset-pier.jpg", [480, 300], "user-ada", {
    ...album("Coast", 2025),
    tags: "sea",
    rating: 5,
    published: true,
  }),
];

export const SEED_VARIANTS: VariantRecord[] = [
  structuredClone(PUBLIC_VARIANT),
  {
    id: "thumbnail",
    options: { fit: "cover", metadata: "none", width: 200, height: 200 },
    neverRequireSignedURLs: false,
  },
  {
    id: "hero",
    options: { fit: "scale-down", metadata: "keep", width: 1600, height: 900 },
    neverRequireSignedURLs: false,
  },
  {
    id: "avatar",
    options: { fit: "crop", metadata: "copyright", width: 96, height: 96 },
    neverRequireSignedURLs: true,
  },
];
