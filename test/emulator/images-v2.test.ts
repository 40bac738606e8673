import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { expectRefused, pngPart, uploaded, type WireImage } from "../support/images.ts";

interface Page {
  images: WireImage[];
  continuation_token: string | null;
}

const IMAGE_COUNT = 2500;
const BATCH = 50;
let emulator: TestEmulator;
/** Ids in upload order (the order writes committed, read back once from a single asc page). */
let uploadOrder: string[];

beforeAll(async () => {
  emulator = await startTestEmulator();
  const file = pngPart("tiny.png", samplePng(2, 2));
  for (let start = 0; start < IMAGE_COUNT; start += BATCH) {
    await Promise.all(
      Array.from({ length: BATCH }, (_, i) =>
        uploaded(emulator, { creator: (start + i) % 2 === 0 ? "even" : "odd" }, file),
      ),
    );
  }
  uploadOrder = (await page("?per_page=10000&sort_order=asc")).images.map((image) => image.id);
  expect(uploadOrder).toHaveLength(IMAGE_COUNT);
});
afterAll(() => emulator.close());

async function page(query: string): Promise<Page> {
  const answer = await emulator.api<Page>("GET", `/v2${query}`);
  expect(answer.status, JSON.stringify(answer.body.errors)).toBe(200);
  expect(Object.keys(answer.body.result).sort()).toEqual(["continuation_token", "images"]);
  return answer.body.result;
}

/** Follows continuation tokens to the end; `between` runs before every page after the first. */
async function walk(query: string, between?: (pageNumber: number) => Promise<void>): Promise<string[][]> {
  const pages: string[][] = [];
  let token: string | null = null;
  do {
    if (pages.length > 0) await between?.(pages.length);
    const tokenPart: string = token === null ? "" : `&continuation_token=${encodeURIComponent(token)}`;
    const result = await page(`${query}${tokenPart}`);
    if (result.continuation_token !== null) expect(result.continuation_token.length).toBeLessThanOrEqual(32);
    pages.push(result.images.map((image) => image.id));
    token = result.continuation_token;
  } while (token !== null);
  return pages;
}

describe("GET /v2 paging with continuation tokens", () => {
  it("walks 2,500 images newest first (the default order), 100 per page, with no repeat and no gap", async () => {
    const pages = await walk("?per_page=100");
    expect(pages).toHaveLength(25);
    expect(pages.every((ids) => ids.length === 100)).toBe(true);
    expect(pages.flat()).toEqual([...uploadOrder].reverse());
  });

  it("walks them oldest first with sort_order=asc", async () => {
    const pages = await walk("?per_page=100&sort_order=asc");
    expect(pages).toHaveLength(25);
    expect(pages.flat()).toEqual(uploadOrder);
  });

  it("returns 1,000 images per page by default and a null token on the last page", async () => {
    const first = await page("");
    expect(first.images).toHaveLength(1000);
    expect(first.continuation_token).not.toBeNull();
    const last = await page(`?per_page=10000`);
    expect(last.images).toHaveLength(IMAGE_COUNT);
    expect(last.continuation_token).toBeNull();
  });

  it("filters by creator across pages", async () => {
    const even = (await walk("?per_page=500&creator=even&sort_order=asc")).flat();
    expect(even).toHaveLength(IMAGE_COUNT / 2);
    const evenIds = new Set(even);
    const listed = (await page("?per_page=10000&creator=even")).images;
    expect(listed.every((image) => image.creator === "even")).toBe(true);
    expect(new Set(listed.map((image) => image.id))).toEqual(evenIds);
    expect((await page("?creator=")).images).toEqual([]);
  });
});

describe("stability while the account changes between pages", () => {
  it("newest first: images added meanwhile do not shift later pages; deleted ones just go", async () => {
    const before = [...uploadOrder].reverse();
    const added: string[] = [];
    const deleted = before[450] as string;
    const lastOfPage3 = before[299] as string;
    const pages = await walk("?per_page=100", async (pageNumber) => {
      added.push((await uploaded(emulator, { creator: "late" })).id);
      if (pageNumber === 3) {
        // The image the token points at, and one on a later page.
        expect((await emulator.api("DELETE", `/v1/${lastOfPage3}`)).status).toBe(200);
        expect((await emulator.api("DELETE", `/v1/${deleted}`)).status).toBe(200);
      }
    });
    const expected = before.filter((id) => id !== deleted);
    expect(pages.flat()).toEqual(expected);
    expect(pages.flat().some((id) => added.includes(id))).toBe(false);
    uploadOrder = [...uploadOrder.filter((id) => id !== deleted && id !== lastOfPage3), ...added];
  });

  it("oldest first: images added meanwhile come at the end, exactly once", async () => {
    const before = [...uploadOrder];
    const added: string[] = [];
    const pages = await walk("?per_page=500&sort_order=asc", async () => {
      added.push((await uploaded(emulator, { creator: "late" })).id);
    });
    expect(added.length).toBeGreaterThan(0);
    expect(pages.flat()).toEqual([...before, ...added]);
    uploadOrder = [...before, ...added];
  });
});

describe("parameter checks", () => {
  const tokenFor = async (query: string) => (await page(query)).continuation_token as string;

  it("refuses a token of the other sort order", async () => {
    const descToken = await tokenFor("?per_page=10");
    await expectRefused(
      emulator,
      () => emulator.api("GET", `/v2?per_page=10&sort_order=asc&continuation_token=${descToken}`),
      400,
      5400,
      /desc order/,
    );
    const ascToken = await tokenFor("?per_page=10&sort_order=asc");
    await expectRefused(emulator, () => emulator.api("GET", `/v2?continuation_token=${ascToken}`), 400, 5400);
  });

  it.each([
    ["a token that is not one", "continuation_token=hello"],
    ["a token over 32 characters", `continuation_token=${"A".repeat(33)}`],
    ["a token for position 0", `continuation_token=${Buffer.from("desc:0").toString("base64url")}`],
    ["an unknown sort order", "sort_order=newest"],
    ["per_page under 10", "per_page=9"],
    ["per_page over 10,000", "per_page=10001"],
    ["a per_page that is not an integer", "per_page=ten"],
  ])("refuses %s with 400", async (_case, query) => {
    await expectRefused(emulator, () => emulator.api("GET", `/v2?${query}`), 400, 5400);
  });

  it("treats an empty continuation_token (what the SDK sends for null) as the first page", async () => {
    expect(await page("?per_page=10&continuation_token=")).toEqual(await page("?per_page=10"));
  });
});
