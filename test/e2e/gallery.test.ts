import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { catalogueReady } from "../catalogue/fixtures.ts";
import { chromiumAvailable, launchChromium, type TestBrowser } from "../support/browser.ts";
import { startTestStack, type TestStack } from "../support/server.ts";

const SCREENSHOT = "test-output/gallery.png";
const IMAGE_READY = "GET /accounts/{account_id}/images/v1/{image_id}";

let stack: TestStack;
let browser: TestBrowser;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  stack = await startTestStack({
    emulator: { seed: true },
    env: { IMAGE_READY_POLL_INTERVAL_MS: "250", IMAGE_READY_POLL_MAX_INTERVAL_MS: "500", CATALOGUE: "on" },
  });
  await catalogueReady(stack.gql);
  browser = await launchChromium({ width: 1280, height: 860 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Cards whose thumbnail has really loaded (decoded with a width). */
const loadedCards = (page: Page) =>
  page.$$eval(
    ".card img",
    (images) =>
      images.filter((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0).length,
  );

describe.skipIf(!chromiumAvailable)("the gallery in headless Chromium", () => {
  it("pages, counts, shows srcset thumbnails, uploads by direct upload until imageReady, edits metadata, searches and sorts", async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("requestfailed", (request) => {
      // The SSE stream is cancelled by the page once its event has come.
      if (!request.url().endsWith("/graphql")) problems.push(`failed: ${request.url()}`);
    });
    await page.goto(new URL("/gallery", stack.server.url).href);

    await expect.poll(() => loadedCards(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(10);
    // No upload runs: its panel (and its empty progress bar) is not shown.
    expect(await page.locator("#upload").isVisible()).toBe(false);
    await expect.poll(() => page.locator("#count").innerText()).toBe("36 images");
    // Public thumbnails carry a srcset; private ones fall back to their signed URL.
    const thumbs = await page.$$eval(".card", (cards) =>
      cards.map((card) => ({
        private: card.querySelector(".badge") !== null,
        srcset: card.querySelector("img")?.getAttribute("srcset") ?? "",
        src: card.querySelector("img")?.getAttribute("src") ?? "",
      })),
    );
    expect(thumbs.filter((t) => !t.private).every((t) => /\s240w, .+\s480w, .+\s720w$/.test(t.srcset))).toBe(true);
    expect(thumbs.filter((t) => t.private).every((t) => t.srcset === "" && /[?&]sig=/.test(t.src))).toBe(true);

    // Infinite scroll: pages beyond what fills the screen come only as the end of the grid comes into view.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const beforeScroll = await page.locator(".card").count();
    expect(beforeScroll).toBeLessThan(36);
    for (let i = 0; i < 6; i++) {
      await page.mouse.wheel(0, 4000);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await expect.poll(() => page.locator("#more").innerText(), { timeout: 20_000 }).toMatch(/All 36 images shown/);
    expect(await page.locator(".card").count()).toBe(36);
    await page.mouse.wheel(0, -100_000);

    // Upload: createDirectUpload, the file POSTed by XHR to the upload URL, then imageReady over SSE.
    await stack.emulator.reset();
    await page.setInputFiles("#file", {
      name: "gallery-upload.png",
      mimeType: "image/png",
      buffer: Buffer.from(samplePng(320, 240)),
    });
    const uploadedCard = page.locator(".card", { hasText: "gallery-upload.png" });
    await uploadedCard.waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator("#upload-status").innerText()).toContain("Ready: gallery-upload.png");
    expect(await page.locator("#upload-progress").evaluate((p) => (p as HTMLProgressElement).value)).toBe(100);
    // Once the upload is over, the panel goes again.
    await expect.poll(() => page.locator("#upload").isVisible(), { timeout: 10_000 }).toBe(false);
    await expect
      .poll(() => uploadedCard.locator("img").evaluate((img) => (img as HTMLImageElement).naturalWidth), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    const imageId = await uploadedCard.getAttribute("data-image-id");
    expect(imageId).toBeTruthy();
    const calls = await stack.emulator.counts();
    expect(calls["POST /accounts/{account_id}/images/v2/direct_upload"]).toBe(1);
    expect(calls["POST /upload/{account_hash}/{image_id+}"]).toBe(1);
    expect(calls[IMAGE_READY]).toBeGreaterThanOrEqual(1);

    // Edit its metadata through updateImage.
    await uploadedCard.locator("button.edit").click();
    await page.locator("#edit-creator").fill("ada-gallery");
    await page.locator("#edit-meta").fill('{ "album": { "name": "Gallery test" }, "rating": 5 }');
    await page.locator("#edit-save").click();
    await expect.poll(() => uploadedCard.locator(".creator").innerText(), { timeout: 15_000 }).toBe("ada-gallery");
    expect(await page.locator("#editor").evaluate((d) => (d as HTMLDialogElement).open)).toBe(false);
    const stored = await stack.gql<{ image: { creator: string; meta: unknown } }>(
      `query($id: ID!) { image(imageId: $id) { creator meta } }`,
      { id: imageId },
    );
    expect(stored.data?.image).toEqual({
      creator: "ada-gallery",
      meta: { album: { name: "Gallery test" }, rating: 5 },
    });

    // Search and sort, served by the catalogue, which knew of the upload and the edit before they answered.
    await page.locator("#search").fill("ada-gallery");
    await expect
      .poll(() => page.locator("#count").innerText(), { timeout: 10_000 })
      .toBe("1 image matching “ada-gallery”");
    await expect.poll(() => page.locator(".card").count()).toBe(1);
    await page.locator("#search").fill("coast");
    const coast = await stack.gql<{ images: { totalCount: number } }>(`{ images(search: "coast") { totalCount } }`);
    const coastCount = coast.data?.images.totalCount as number;
    expect(coastCount).toBeGreaterThan(0);
    await expect.poll(() => page.locator("#count").innerText()).toBe(`${coastCount} images matching “coast”`);
    await expect.poll(() => page.locator(".card").count()).toBe(coastCount);
    await page.locator("#search").fill("");
    await page.locator("#sort").selectOption("FILENAME ASC");
    const byName = await stack.gql<{ images: { edges: { node: { imageId: string } }[] } }>(
      `{ images(orderBy: { field: FILENAME, direction: ASC }, first: 3) { edges { node { imageId } } } }`,
    );
    const expected = byName.data?.images.edges.map((e) => e.node.imageId);
    await expect
      .poll(() => page.$$eval(".card", (cards) => cards.slice(0, 3).map((c) => (c as HTMLElement).dataset.imageId)))
      .toEqual(expected);
    await expect.poll(() => page.locator("#count").innerText()).toBe("37 images");

    expect(problems).toEqual([]);
    await mkdir("test-output", { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(existsSync(SCREENSHOT)).toBe(true);
  }, 120_000);
});
