import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/index.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { useTestStack } from "../support/server.ts";

const LIST_V2 = "GET /accounts/{account_id}/images/v2";
const TOTAL = 57;
/** Small upstream pages, so a few dozen images span several of them. */
const ENV = { UPSTREAM_PAGE_SIZE: "20" };

interface Connection {
  edges: { cursor: string; node: { imageId: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
type Args = { first?: number; after?: string | null; last?: number; before?: string | null; sortOrder?: string };

const PAGE = `query Page($first: Int, $after: String, $last: Int, $before: String, $sortOrder: SortOrder) {
  images(first: $first, after: $after, last: $last, before: $before, sortOrder: $sortOrder) {
    edges { cursor node { imageId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

/** Upload order: oldest first. */
let all: string[];

const stack = useTestStack({ resetEmulatorBeforeEach: true, env: ENV });
beforeAll(async () => {
  const response = await stack.emulator.admin("POST", "/images", { count: TOTAL });
  all = ((await response.json()) as { ids: string[] }).ids;
}, 60_000);

async function page(args: Args, url = stack.server.url): Promise<{ connection: Connection; calls: number }> {
  await stack.emulator.reset();
  const response = await fetch(new URL("/graphql", url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: PAGE, variables: args }),
  });
  const body = (await response.json()) as { data?: { images: Connection }; errors?: unknown[] };
  expect(body.errors, JSON.stringify(args)).toBeUndefined();
  const connection = body.data?.images as Connection;
  for (const edge of connection.edges) expect(edge.cursor.length).toBeLessThanOrEqual(1024);
  return { connection, calls: (await stack.emulator.counts())[LIST_V2] ?? 0 };
}

const ids = (c: Connection) => c.edges.map((e) => e.node.imageId);

async function walkForward(size: number, sortOrder: string, from?: string | null) {
  const seen: string[] = [];
  const cursors: string[] = [];
  let after = from ?? null;
  for (;;) {
    const { connection } = await page({ first: size, after, sortOrder });
    seen.push(...ids(connection));
    cursors.push(...connection.edges.map((e) => e.cursor));
    if (!connection.pageInfo.hasNextPage) return { seen, cursors };
    after = connection.pageInfo.endCursor;
  }
}

/** `last`/`before` from `before` back to the start; pages in forward order, so the result is too. */
async function walkBackward(size: number, sortOrder: string, before: string | null, url?: URL) {
  const pages: string[][] = [];
  let cursor = before;
  for (;;) {
    const { connection, calls } = await page({ last: size, before: cursor, sortOrder }, url);
    // One call per upstream page touched: the pages are at least 10 images long.
    expect(calls, `size ${size}`).toBeLessThanOrEqual(Math.ceil(size / 10) + 1);
    pages.unshift(ids(connection));
    if (!connection.pageInfo.hasPreviousPage) return pages.flat();
    expect(connection.edges.length).toBe(size);
    cursor = connection.pageInfo.startCursor;
  }
}

describe("backward pagination", () => {
  for (const size of [1, 3, 5, 8, 10, 25]) {
    it(`walks back from the last edge of a first: ${size} walk to the start: the forward walk reversed`, async () => {
      const forward = await walkForward(size, "ASC");
      expect(forward.seen).toEqual(all);
      const backward = await walkBackward(size, "ASC", forward.cursors.at(-1) ?? null);
      expect(backward).toEqual(all.slice(0, -1));
    });
  }

  it("serves last without before, then pages back to the start and forward again from any of its cursors", async () => {
    const newestFirst = [...all].reverse();
    const backward = await walkBackward(7, "DESC", null);
    expect(backward).toEqual(newestFirst);
    const { connection } = await page({ last: 7, sortOrder: "DESC" });
    const first = await page({ last: 7, before: connection.pageInfo.startCursor, sortOrder: "DESC" });
    // Forward from a cursor read in the reverse order goes back through its token chain.
    const forward = await walkForward(6, "DESC", first.connection.edges[2]?.cursor);
    expect(forward.seen).toEqual(newestFirst.slice(newestFirst.length - 14 + 3));
  });

  it("answers exactly the items before a cursor in the middle of a page, with its pageInfo", async () => {
    const second = await page({
      first: 10,
      after: (await page({ first: 20, sortOrder: "ASC" })).connection.pageInfo.endCursor,
      sortOrder: "ASC",
    });
    const middle = second.connection.edges[4]?.cursor;
    const back = await page({ last: 12, before: middle, sortOrder: "ASC" });
    expect(ids(back.connection)).toEqual(all.slice(12, 24));
    expect(back.connection.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    expect(back.calls).toBeLessThanOrEqual(2);
    const start = await page({ last: 30, before: middle, sortOrder: "ASC" });
    expect(ids(start.connection)).toEqual(all.slice(0, 24));
    expect(start.connection.pageInfo.hasPreviousPage).toBe(false);
    // And forward again from an edge of a backward page.
    const again = await page({ first: 4, after: back.connection.edges[1]?.cursor, sortOrder: "ASC" });
    expect(ids(again.connection)).toEqual(all.slice(14, 18));
  });

  it("walks back on another replica that has not seen the walk, re-reading the list from the start when it must", async () => {
    const forward = await walkForward(5, "ASC");
    const config = loadConfig({ UPSTREAM_RETRY_BASE_DELAY_MS: "1", CATALOGUE: "off", ...ENV });
    const replicaApp = createApp(config, {
      baseUrl: stack.emulator.baseUrl,
      accountId: stack.emulator.accountId,
      token: stack.emulator.token,
    });
    const replica: RunningServer = await startServer(replicaApp, { host: "127.0.0.1", port: 0 });
    try {
      const pages: string[][] = [];
      let cursor = forward.cursors.at(-1) ?? null;
      let total = 0;
      for (;;) {
        const { connection, calls } = await page({ last: 5, before: cursor, sortOrder: "ASC" }, replica.url);
        total += calls;
        expect(calls).toBeLessThanOrEqual(4);
        pages.unshift(ids(connection));
        if (!connection.pageInfo.hasPreviousPage) break;
        cursor = connection.pageInfo.startCursor;
      }
      expect(pages.flat()).toEqual(all.slice(0, -1));
      expect(total).toBeLessThan(2 * pages.length);
    } finally {
      await replica.close();
    }
  });

  it("refuses edited, forged and oversized cursors with BAD_USER_INPUT before any upstream call", async () => {
    const { connection } = await page({ first: 5, sortOrder: "ASC" });
    const cursor = connection.pageInfo.endCursor as string;
    const flipped = `${cursor.slice(0, 20)}${cursor[20] === "A" ? "B" : "A"}${cursor.slice(21)}`;
    const json = Buffer.from(JSON.stringify([2, "x", 0, null, 3, 10, 0, []])).toString("base64url");
    await stack.emulator.reset();
    for (const before of [flipped, json, "A".repeat(1025), `${cursor}x`, ""]) {
      const response = await stack.gql(PAGE, { last: 3, before, sortOrder: "ASC" });
      expect(response.errors?.[0]?.extensions?.code, before.slice(0, 40)).toBe("BAD_USER_INPUT");
    }
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("finds a mid-page cursor's image again after an upload shifted the newest-first page", async () => {
    const first = await page({ first: 5 });
    const newestFirst = [...all].reverse();
    expect(ids(first.connection)).toEqual(newestFirst.slice(0, 5));
    const created = await stack.emulator.admin("POST", "/images", { count: 1 });
    const [fresh] = ((await created.json()) as { ids: string[] }).ids;
    all.push(fresh as string);
    const next = await page({ first: 5, after: first.connection.pageInfo.endCursor });
    expect(ids(next.connection)).toEqual(newestFirst.slice(5, 10));
    const back = await page({ last: 3, before: first.connection.pageInfo.endCursor });
    expect(ids(back.connection)).toEqual(newestFirst.slice(1, 4));
    const toStart = await page({ last: 10, before: first.connection.edges[1]?.cursor });
    expect(ids(toStart.connection)).toEqual([fresh, newestFirst[0]]);
    expect(toStart.connection.pageInfo.hasPreviousPage).toBe(false);
  });

  // Last in this file: it deletes an image.
  it("stays exact when the list changed under the cursor: an image at a page's edge deleted since", async () => {
    const forward = await walkForward(5, "ASC");
    // Pages of 10: images 20-29 are the third page; 19 ends the second one.
    const [middle, start] = [forward.cursors[23] as string, forward.cursors[20] as string];
    const deleted = all[19] as string;
    expect((await stack.emulator.api("DELETE", `/v1/${deleted}`)).status).toBe(200);
    const remaining = all.filter((id) => id !== deleted);
    // From the middle of the page: its first image marks where the earlier page now has to stop.
    const fromMiddle = await page({ last: 8, before: middle, sortOrder: "ASC" });
    expect(ids(fromMiddle.connection)).toEqual(remaining.slice(14, 22));
    // From its first edge: the boundary is found again by reading the list from the start.
    const fromStart = await page({ last: 8, before: start, sortOrder: "ASC" });
    expect(ids(fromStart.connection)).toEqual(remaining.slice(11, 19));
    expect(await walkBackward(4, "ASC", fromStart.connection.pageInfo.startCursor)).toEqual(remaining.slice(0, 11));
  });
});
