import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, waitFor } from "../jobs/fixtures.ts";
import { chromiumAvailable, launchChromium, type TestBrowser } from "../support/browser.ts";
import { startTestStack, type TestStack } from "../support/server.ts";

let stack: TestStack;
let browser: TestBrowser;
const dir = tempDir();

beforeAll(async () => {
  if (!chromiumAvailable) return;
  // Deletions slowed to a few a second, so the progress bar is seen moving.
  stack = await startTestStack({
    emulator: { seed: true },
    env: {
      CATALOGUE: "on",
      CATALOGUE_DIR: dir.path,
      CATALOGUE_DELTA_SECONDS: "0",
      BULK_CALLS_PER_SECOND: "4",
      BULK_POLL_MS: "50",
    },
  });
  await waitFor(
    async () => (await stack.gql<{ catalogue: { status: string } }>("{ catalogue { status } }")).data?.catalogue.status,
    (status) => status === "READY",
    "the catalogue",
  );
  browser = await launchChromium({ width: 1280, height: 860 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  dir.remove();
});

describe.skipIf(!chromiumAvailable)("the gallery's Delete selected", () => {
  it("ticks tiles, runs one bulk job with a progress bar, and the grid loses exactly those tiles", async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    await page.goto(new URL("/gallery", stack.server.url).href);
    await expect.poll(() => page.locator(".card").count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(10);
    expect(await page.locator("#delete-selected").isDisabled()).toBe(true);

    const chosen: string[] = [];
    for (const index of [0, 2, 3, 5, 7, 8]) {
      const card = page.locator(".card").nth(index);
      chosen.push((await card.getAttribute("data-image-id")) as string);
      await card.locator("input.select").check();
    }
    const others = (
      await page.locator(".card").evaluateAll((cards) => cards.map((c) => c.getAttribute("data-image-id")))
    ).filter((id): id is string => id !== null && !chosen.includes(id));
    expect(await page.locator("#delete-selected").innerText()).toBe("Delete selected (6)");
    await stack.emulator.reset();
    await page.locator("#delete-selected").click();

    // The bar moves through the job (6 deletions at 4 a second), then the tiles go.
    await expect.poll(() => page.locator("#bulk-status").innerText(), { timeout: 15_000 }).toMatch(/^[1-5] of 6 done$/);
    await expect.poll(() => page.locator("#bulk-status").innerText(), { timeout: 30_000 }).toBe("Deleted 6 images.");
    expect(await page.locator("#bulk-progress").evaluate((p) => (p as HTMLProgressElement).value)).toBe(100);
    for (const id of chosen) expect(await page.locator(`.card[data-image-id="${id}"]`).count()).toBe(0);
    for (const id of others) expect(await page.locator(`.card[data-image-id="${id}"]`).count()).toBe(1);

    // One job: six deletions, each once, and the images are gone upstream.
    const calls = await stack.emulator.counts();
    expect(calls["DELETE /accounts/{account_id}/images/v1/{image_id}"]).toBe(6);
    for (const id of chosen)
      expect((await stack.emulator.api("GET", `/v1/${encodeURIComponent(id)}`)).status).toBe(404);
    const jobs = await stack.gql<{ bulkJobs: { edges: { node: { total: number; state: string } }[] } }>(
      "{ bulkJobs { edges { node { total state } } } }",
    );
    expect(jobs.data?.bulkJobs.edges.map((e) => e.node)).toEqual([{ total: 6, state: "SUCCEEDED" }]);
    expect(problems).toEqual([]);
  }, 120_000);
});
