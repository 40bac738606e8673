import type { TestEmulator } from "./emulator.ts";

/** Routes of the upstream reads the entity cache answers, as the emulator counts them. */
export const READS = {
  image: "GET /accounts/{account_id}/images/v1/{image_id}",
  list: "GET /accounts/{account_id}/images/v2",
  variants: "GET /accounts/{account_id}/images/v1/variants",
  keys: "GET /accounts/{account_id}/images/v1/keys",
  stats: "GET /accounts/{account_id}/images/v1/stats",
} as const;

/** What a gallery page asks: a page of images with their variant URLs, and the account's count. */
export const GALLERY = `query($first: Int!, $after: String) {
  images(first: $first, after: $after) {
    edges { cursor node { imageId creator meta variants { name url } } }
    pageInfo { hasNextPage endCursor }
  }
  stats { current }
}`;

export interface GalleryAnswer {
  images: {
    edges: { cursor: string; node: { imageId: string; creator: string | null; variants: { name: string }[] } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
  stats: { current: number };
}

/** What a detail view asks of one image. */
export const DETAIL = `query($id: ID!) { image(imageId: $id) { imageId creator meta requireSignedURLs variants { name } } }`;

export interface DetailAnswer {
  image: {
    imageId: string;
    creator: string | null;
    meta: unknown;
    requireSignedURLs: boolean;
    variants: { name: string }[];
  } | null;
}

/** Images made upstream directly, as the dashboard would; their ids. */
export async function seedImages(emulator: TestEmulator, count: number, creator = "seed"): Promise<string[]> {
  const response = await emulator.admin("POST", "/images", { count, creator });
  return ((await response.json()) as { ids: string[] }).ids;
}

/** Upstream calls since the last reset, summed over the read routes (or one route). */
export async function upstreamReads(emulator: TestEmulator, route?: string): Promise<number> {
  const counts = await emulator.counts();
  const routes = route ? [route] : Object.values(READS);
  return routes.reduce((total, r) => total + (counts[r] ?? 0), 0);
}

/** Waits (generously: shared CPUs) until `check` holds. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("the condition did not hold in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
