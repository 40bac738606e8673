import { describe, expect, it } from "vitest";
import { resolveImageConnection } from "../../src/pagination/connection.ts";
import { createCursorCodec } from "../../src/pagination/cursor.ts";
import { InMemoryTokenChainMemo } from "../../src/pagination/token-chain.ts";
import type { Image, ImagePage, SortOrder } from "../../src/upstream/index.ts";

/** An in-memory v2 list with keyset continuation tokens, as the upstream pages it. */
function fakeList(total: number) {
  const images: Image[] = Array.from({ length: total }, (_, i) => ({
    id: `img-${String(i).padStart(5, "0")}`,
    filename: null,
    creator: null,
    meta: {},
    requireSignedURLs: false,
    uploaded: new Date(1_700_000_000_000 + i * 1000),
    variants: [],
    draft: false,
  }));
  const calls: { token: string | null; perPage: number; sortOrder: SortOrder }[] = [];
  const fetchPage = async (q: { token: string | null; perPage: number; sortOrder: SortOrder }): Promise<ImagePage> => {
    calls.push(q);
    const ordered = q.sortOrder === "asc" ? images : [...images].reverse();
    const start = q.token === null ? 0 : Number(q.token);
    const page = ordered.slice(start, start + q.perPage);
    const next = start + q.perPage < ordered.length ? String(start + q.perPage) : null;
    return { images: page, continuationToken: next };
  };
  const cursors = createCursorCodec("unit-test-secret");
  return { images, calls, source: { fetchPage, cursors, memo: new InMemoryTokenChainMemo() } };
}

const query = { sortOrder: "asc" as SortOrder, fingerprint: "f1", maxPerPage: 1000 };
const ids = (c: { edges: { node: Image }[] }) => c.edges.map((e) => e.node.id);

describe("cursor connection over continuation tokens", () => {
  it("walks a whole collection with no gap or duplicate, one call per page", async () => {
    const list = fakeList(95);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await resolveImageConnection({ first: 20, after }, query, list.source);
      seen.push(...ids(page));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(list.images.map((i) => i.id));
    expect(list.calls).toHaveLength(5);
  });

  it("resumes after a mid-page cursor by refetching that page", async () => {
    const list = fakeList(50);
    const first = await resolveImageConnection({ first: 20 }, query, list.source);
    const mid = first.edges[4]?.cursor ?? null;
    const next = await resolveImageConnection({ first: 3, after: mid }, query, list.source);
    expect(ids(next)).toEqual(["img-00005", "img-00006", "img-00007"]);
    expect(list.calls.at(-1)).toEqual({ token: null, perPage: 20, sortOrder: "asc" });
  });

  it("fills `first` larger than one page from several pages", async () => {
    const list = fakeList(50);
    const page = await resolveImageConnection({ first: 25 }, { ...query, maxPerPage: 10 }, list.source);
    expect(ids(page)).toEqual(list.images.slice(0, 25).map((i) => i.id));
    expect(list.calls).toHaveLength(3);
    expect(page.pageInfo.hasNextPage).toBe(true);
  });

  it("serves `last` without `before` by reading the reverse order", async () => {
    const list = fakeList(30);
    const page = await resolveImageConnection({ last: 3 }, query, list.source);
    expect(ids(page)).toEqual(["img-00027", "img-00028", "img-00029"]);
    expect(page.pageInfo.hasPreviousPage).toBe(true);
    expect(list.calls[0]?.sortOrder).toBe("desc");
    const before = await resolveImageConnection({ last: 3, before: page.pageInfo.startCursor }, query, list.source);
    expect(ids(before)).toEqual(["img-00024", "img-00025", "img-00026"]);
  });

  it("pages backwards from a forward cursor within its page, exactly", async () => {
    const list = fakeList(30);
    const page = await resolveImageConnection({ first: 10 }, query, list.source);
    const back = await resolveImageConnection({ last: 4, before: page.edges[6]?.cursor }, query, list.source);
    expect(ids(back)).toEqual(["img-00002", "img-00003", "img-00004", "img-00005"]);
    expect(back.pageInfo.hasPreviousPage).toBe(true);
  });

  it("pages backwards across upstream page boundaries, exactly, from any cursor", async () => {
    const list = fakeList(30);
    const first = await resolveImageConnection({ first: 10 }, query, list.source);
    const second = await resolveImageConnection({ first: 10, after: first.pageInfo.endCursor }, query, list.source);
    const back = await resolveImageConnection({ last: 5, before: second.edges[2]?.cursor }, query, list.source);
    expect(ids(back)).toEqual(["img-00007", "img-00008", "img-00009", "img-00010", "img-00011"]);
    expect(back.pageInfo.hasPreviousPage).toBe(true);
    const start = await resolveImageConnection({ last: 10, before: back.pageInfo.startCursor }, query, list.source);
    expect(ids(start)).toEqual(list.images.slice(0, 7).map((i) => i.id));
    expect(start.pageInfo.hasPreviousPage).toBe(false);
  });

  it("re-walks from the start when neither the cursor nor the memo knows the way back", async () => {
    const list = fakeList(120);
    let page = await resolveImageConnection({ first: 10 }, query, list.source);
    for (let i = 0; i < 8; i++) {
      page = await resolveImageConnection({ first: 10, after: page.pageInfo.endCursor }, query, list.source);
    }
    expect(ids(page)[0]).toBe("img-00080");
    // Another replica: same key, empty memo; the cursor remembers only the last few pages.
    const replica = { ...list.source, memo: new InMemoryTokenChainMemo() };
    const calls = list.calls.length;
    const back = await resolveImageConnection({ last: 70, before: page.edges[0]?.cursor }, query, replica);
    expect(ids(back)).toEqual(list.images.slice(10, 80).map((i) => i.id));
    expect(back.pageInfo.hasPreviousPage).toBe(true);
    // The cursor's four links read as one page of 40, then one read of the list from the start (pages of 1000).
    expect(list.calls.slice(calls).map((c) => c.perPage)).toEqual([40, 1000]);
    const rest = await resolveImageConnection({ last: 70, before: back.pageInfo.startCursor }, query, replica);
    expect(ids(rest)).toEqual(list.images.slice(0, 10).map((i) => i.id));
    expect(rest.pageInfo.hasPreviousPage).toBe(false);
    // The re-walk taught the replica's memo the page before the boundary it found: asked again, the
    // cursor's four links and that page are read as one.
    const again = list.calls.length;
    const repeat = await resolveImageConnection({ last: 70, before: page.edges[0]?.cursor }, query, replica);
    expect(ids(repeat)).toEqual(ids(back));
    expect(list.calls.slice(again).map((c) => c.perPage)).toEqual([80]);
  });

  it("reads many small pages before a cursor in one upstream call, from the memo", async () => {
    const list = fakeList(300);
    let page = await resolveImageConnection({ first: 10 }, query, list.source);
    while (page.pageInfo.hasNextPage) {
      page = await resolveImageConnection({ first: 10, after: page.pageInfo.endCursor }, query, list.source);
    }
    const calls = list.calls.length;
    const back = await resolveImageConnection({ last: 250, before: page.pageInfo.endCursor }, query, list.source);
    expect(ids(back)).toEqual(list.images.slice(49, 299).map((i) => i.id));
    expect(back.pageInfo.hasPreviousPage).toBe(true);
    // The cursor's own page, then the 25 pages before it (10 images each) as one page of 250.
    expect(list.calls.slice(calls).map((c) => c.perPage)).toEqual([10, 250]);
  });

  it("refuses, rather than answer a wrong page, a cursor signed with another key", async () => {
    const list = fakeList(30);
    const page = await resolveImageConnection({ first: 5 }, query, list.source);
    const other = { ...list.source, cursors: createCursorCodec("another-secret") };
    await expect(
      resolveImageConnection({ last: 2, before: page.pageInfo.endCursor }, query, other),
    ).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
  });

  it("rejects malformed cursors, cursors of other queries and negative sizes", async () => {
    const list = fakeList(30);
    const page = await resolveImageConnection({ first: 5 }, query, list.source);
    const calls = list.calls.length;
    for (const args of [
      { first: 5, after: "not-a-cursor" },
      { first: 5, after: Buffer.from("[1,2,3]").toString("base64url") },
      { first: -1 },
      { first: 1, last: 1 },
    ]) {
      await expect(resolveImageConnection(args, query, list.source)).rejects.toMatchObject({
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
    await expect(
      resolveImageConnection(
        { first: 5, after: page.pageInfo.endCursor },
        { ...query, fingerprint: "other" },
        list.source,
      ),
    ).rejects.toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(list.calls.length).toBe(calls);
  });

  it("knows the end without another call when the last page ends exactly", async () => {
    const list = fakeList(20);
    const page = await resolveImageConnection({ first: 20 }, query, list.source);
    expect(page.pageInfo.hasNextPage).toBe(false);
    const after = await resolveImageConnection({ first: 20, after: page.pageInfo.endCursor }, query, list.source);
    expect(after.edges).toEqual([]);
    expect(list.calls).toHaveLength(1);
  });
});
