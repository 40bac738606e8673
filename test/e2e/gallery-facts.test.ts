import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium, type TestBrowser } from "../support/browser.ts";
import { startTestStack, type TestStack } from "../support/server.ts";

let stack: TestStack;
let browser: TestBrowser;
/** The facts of the seeded account, by image id, once they are all known. */
let ratios: Map<string, number>;

type List = { images: { edges: { node: { imageId: string; factsStatus: string; aspectRatio: number | null } }[] } };

beforeAll(async () => {
  if (!chromiumAvailable) return;
  stack = await startTestStack({ emulator: { seed: true } });
  // The first read queues the backfill; the gallery is opened once every image's facts are known.
  for (let attempt = 0; ; attempt++) {
    const answer = await stack.gql<List>(
      `{ images(first: 100) { edges { node { imageId factsStatus aspectRatio } } } }`,
    );
    const nodes = answer.data?.images.edges.map((e) => e.node) ?? [];
    ratios = new Map(nodes.map((n) => [n.imageId, n.aspectRatio ?? 0]));
    if (nodes.length > 0 && nodes.every((n) => n.factsStatus !== "PENDING")) break;
    if (attempt > 600) throw new Error("the seeded images' facts never came");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  browser = await launchChromium({ width: 1280, height: 860 });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Sums the page's layout shifts (none caused by input) into `window.layoutShift`. */
const MEASURE_LAYOUT_SHIFT = () => {
  const w = window as unknown as { layoutShift: number };
  w.layoutShift = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
      if (!entry.hadRecentInput) w.layoutShift += entry.value;
    }
  }).observe({ type: "layout-shift", buffered: true });
};

/**
 * Opens the gallery with every image held back, lets all its pages of cards arrive, then lets the
 * images through while scrolling from top to bottom: the layout shift counted from then on is the
 * images' alone. `css` is added to the page (to show what an unreserved grid would do).
 */
async function layoutShiftOfImageLoads(css?: string): Promise<{ page: Page; shift: number }> {
  const page = await browser.context.newPage();
  await page.addInitScript(MEASURE_LAYOUT_SHIFT);
  const delivery = new URL(stack.emulator.baseUrl).origin;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(
    (url) => url.origin === delivery,
    async (route) => {
      await released;
      await route.continue().catch(() => undefined);
    },
  );
  if (css) {
    // Appended to the gallery's own stylesheet: its Content-Security-Policy refuses inline styles.
    await page.route("**/gallery/style.css", async (route) => {
      const original = await route.fetch();
      await route.fulfill({ response: original, body: `${await original.text()}\n${css}` });
    });
  }
  await page.goto(new URL("/gallery", stack.server.url).href);
  for (let i = 0; i < 40 && !/All \d+ images shown/.test(await page.locator("#more").innerText()); i++) {
    await page.mouse.wheel(0, 4000);
    await page.waitForTimeout(150);
  }
  await expect.poll(() => page.locator("#more").innerText(), { timeout: 20_000 }).toMatch(/All \d+ images shown/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);
  await page.evaluate(() => {
    (window as unknown as { layoutShift: number }).layoutShift = 0;
  });
  release();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let y = 0; y <= height; y += 400) {
    await page.evaluate((top) => window.scrollTo(0, top), y);
    await page.waitForTimeout(80);
  }
  await expect
    .poll(
      () =>
        page.$$eval(".card img", (images) =>
          images.every((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0),
        ),
      { timeout: 30_000 },
    )
    .toBe(true);
  await page.waitForTimeout(300);
  const shift = await page.evaluate(() => (window as unknown as { layoutShift: number }).layoutShift);
  return { page, shift };
}

describe.skipIf(!chromiumAvailable)("the gallery reserves each image's shape", () => {
  it("sizes each tile at the image's aspect ratio with its placeholder, and nothing moves as images load", async () => {
    const { page, shift } = await layoutShiftOfImageLoads();
    const tiles = await page.$$eval(".card", (cards) =>
      cards.map((card) => {
        const img = card.querySelector("img") as HTMLImageElement;
        const box = img.getBoundingClientRect();
        return {
          imageId: (card as HTMLElement).dataset.imageId as string,
          boxRatio: box.width / box.height,
          background: img.style.backgroundImage,
        };
      }),
    );
    expect(tiles.length).toBeGreaterThanOrEqual(30);
    const distinctRatios = new Set(tiles.map((t) => (ratios.get(t.imageId) ?? 0).toFixed(2)));
    expect(distinctRatios.size, "the seeded account has images of several shapes").toBeGreaterThan(1);
    for (const tile of tiles) {
      const ratio = ratios.get(tile.imageId) as number;
      expect(Math.abs(tile.boxRatio - ratio), `${tile.imageId}: box ${tile.boxRatio}, image ${ratio}`).toBeLessThan(
        0.03,
      );
      expect(tile.background).toMatch(/^url\("data:image\/png;base64,/);
    }
    expect(shift).toBe(0);
    await page.close();
  }, 120_000);

  it("the same measurement sees the shift of a grid that does not reserve the space", async () => {
    const { page, shift } = await layoutShiftOfImageLoads(
      ".card img { aspect-ratio: auto !important; height: auto !important; }",
    );
    expect(shift).toBeGreaterThan(0);
    await page.close();
  }, 120_000);
});
