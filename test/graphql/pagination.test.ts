import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InProcessStack, startInProcessStack, useInProcessStack } from "../support/in-process.ts";

const LIST_V2 = "GET /accounts/{account_id}/images/v2";

interface Page {
  images: {
    edges: { cursor: string; node: { imageId: string } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

const PAGE = `query Page($first: Int, $after: String, $last: Int, $before: String, $filter: ImageFilter, $sortOrder: SortOrder) {
  images(first: $first, after: $after, last: $last, before: $before, filter: $filter, sortOrder: $sortOrder) {
    edges { cursor node { imageId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

/** Upload order: oldest first. */
let all: string[];

const stack = useInProcessStack({ resetEmulatorBeforeEach: true });
beforeAll(async () => {
  all = [];
  for (let i = 0; i < 5; i++) {
    const response = await stack.emulator.admin("POST", "/images", { count: 1000 });
    all.push(...((await response.json()) as { ids: string[] }).ids);
  }
}, 120_000);

const idsOf = (page: Page | null | undefined) => page?.images.edges.map((e) => e.node.imageId) ?? [];

describe("images connection", () => {
  it("iterates 5,000 images with first: 1000 in exactly 5 list calls, newest first, no gap or duplicate", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const answer: Awaited<ReturnType<typeof stack.gql<Page>>> = await stack.gql<Page>(PAGE, { first: 1000, after });
      expect(answer.errors).toBeUndefined();
      seen.push(...idsOf(answer.data));
      if (!answer.data?.images.pageInfo.hasNextPage) break;
      after = answer.data.images.pageInfo.endCursor;
    }
    expect(seen).toEqual([...all].reverse());
    expect((await stack.emulator.counts())[LIST_V2]).toBe(5);
  });

  it("resumes after a mid-page cursor and pages back with last/before", async () => {
    const first = await stack.gql<Page>(PAGE, { first: 10, sortOrder: "ASC" });
    expect(idsOf(first.data)).toEqual(all.slice(0, 10));
    const mid = first.data?.images.edges[3]?.cursor;
    const next = await stack.gql<Page>(PAGE, { first: 5, after: mid, sortOrder: "ASC" });
    expect(idsOf(next.data)).toEqual(all.slice(4, 9));
    const back = await stack.gql<Page>(PAGE, {
      last: 3,
      before: first.data?.images.edges[8]?.cursor,
      sortOrder: "ASC",
    });
    expect(idsOf(back.data)).toEqual(all.slice(5, 8));
    expect(back.data?.images.pageInfo.hasPreviousPage).toBe(true);
  });

  it("serves last without before: the end of the collection", async () => {
    const answer = await stack.gql<Page>(PAGE, { last: 4, sortOrder: "ASC" });
    expect(idsOf(answer.data)).toEqual(all.slice(-4));
    expect(answer.data?.images.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it("answers BAD_USER_INPUT for malformed cursors, cursors of another filter, and negative sizes, without calling upstream", async () => {
    const first = await stack.gql<Page>(PAGE, { first: 2 });
    await stack.emulator.reset();
    const cases = [
      { first: 2, after: "garbage" },
      { first: 2, after: first.data?.images.pageInfo.endCursor, filter: { creator: "someone" } },
      { first: 2, after: first.data?.images.pageInfo.endCursor, sortOrder: "ASC" },
      { first: -1 },
      { first: 2, last: 2 },
    ];
    for (const variables of cases) {
      const answer = await stack.gql<Page>(PAGE, variables);
      expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe("BAD_USER_INPUT");
    }
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("checks metadata filters against the upstream limits before any call", async () => {
    const six = Array.from({ length: 6 }, (_, i) => ({ path: `k${i}`, op: "EQ", value: "x" }));
    const cases = [
      { meta: six },
      { meta: [{ path: "a.b.c.d.e.f", op: "EQ", value: "x" }] },
      { meta: [{ path: "n", op: "IN", values: Array.from({ length: 11 }, (_, i) => String(i)) }] },
      { meta: [{ path: "n", op: "GT", value: "ten" }] },
      { meta: [{ path: "n", op: "EQ_BOOLEAN", value: "yes" }] },
      { meta: [{ path: "n", op: "IN", value: "1" }] },
      { meta: [{ path: "a..b", op: "EQ", value: "1" }] },
    ];
    for (const filter of cases) {
      const answer = await stack.gql<Page>(PAGE, { first: 5, filter });
      expect(answer.errors?.[0]?.extensions?.code, JSON.stringify(filter)).toBe("BAD_USER_INPUT");
    }
    expect(await stack.emulator.counts()).toEqual({});
  });
});

describe("filters", () => {
  let filtered: InProcessStack;
  beforeAll(async () => {
    filtered = await startInProcessStack({ emulator: { seed: true } });
  });
  afterAll(() => filtered.close());

  it("filters by creator and by metadata, and pages the filtered list", async () => {
    const byCreator = await filtered.gql<{ images: { edges: { node: { creator: string } }[] } }>(
      `{ images(first: 100, filter: { creator: "user-ada" }) { edges { node { imageId creator } } } }`,
    );
    const creators = byCreator.data?.images.edges.map((e) => e.node.creator) ?? [];
    expect(creators.length).toBeGreaterThan(0);
    expect(new Set(creators)).toEqual(new Set(["user-ada"]));

    const answer = await filtered.gql<{ images: { edges: { node: { meta: { rating?: number } } }[] } }>(
      `{ images(first: 100, filter: { meta: [{ path: "rating", op: GTE_NUMBER, value: "4" }] }) { edges { node { meta } } } }`,
    );
    expect(answer.errors).toBeUndefined();
    const ratings = answer.data?.images.edges.map((e) => e.node.meta.rating) ?? [];
    expect(ratings.length).toBeGreaterThan(0);
    expect(ratings.every((r) => typeof r === "number" && r >= 4)).toBe(true);
  });
});
