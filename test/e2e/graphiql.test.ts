import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GRAPHIQL_DEFAULT_QUERY } from "../../src/graphiql.ts";
import { chromiumAvailable, launchChromium, type TestBrowser } from "../support/browser.ts";
import { startTestStack, type TestStack } from "../support/server.ts";

const SCREENSHOT = "test-output/graphiql.png";

let stack: TestStack;
let browser: TestBrowser;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  stack = await startTestStack({ emulator: { seed: true } });
  browser = await launchChromium({ width: 1440, height: 900 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe.skipIf(!chromiumAvailable)("GraphiQL in headless Chromium", () => {
  it("runs the default query against the seeded emulator and shows the images", async () => {
    // What the page should show: the newest seeded image, as the API answers it.
    const expected = await stack.gql<{ images: { edges: { node: { filename: string; imageId: string } }[] } }>(
      GRAPHIQL_DEFAULT_QUERY,
    );
    const newest = expected.data?.images.edges[0]?.node;
    expect(newest?.filename).toMatch(/\.\w+$/);

    const page = await browser.context.newPage();
    const failedRequests: string[] = [];
    page.on("requestfailed", (request) => failedRequests.push(request.url()));
    await page.goto(new URL("/graphql", stack.server.url).href);
    await page.locator("button.graphiql-execute-button").waitFor({ timeout: 30_000 });
    // The editor holds the default query before anything is run.
    await expect
      .poll(() => page.locator(".graphiql-query-editor").innerText(), { timeout: 15_000 })
      .toContain("NewestImages");
    const before = await stack.emulator.counts();

    await page.locator("button.graphiql-execute-button").click();

    const response = page.locator(".graphiql-response");
    await expect.poll(() => response.innerText(), { timeout: 15_000 }).toContain(newest?.filename as string);
    const shown = await response.innerText();
    expect(shown).toContain(newest?.imageId as string);
    expect(shown).toContain('"edges"');
    // The query really went to the server and on to the emulator.
    const after = await stack.emulator.counts();
    const calls = (counts: Record<string, number>) => counts["GET /accounts/{account_id}/images/v2"] ?? 0;
    expect(calls(after)).toBeGreaterThan(calls(before));
    expect(failedRequests).toEqual([]);

    await mkdir("test-output", { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(existsSync(SCREENSHOT)).toBe(true);
  }, 90_000);
});
