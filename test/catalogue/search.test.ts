import { beforeAll, describe, expect, it } from "vitest";
import { useTestStack } from "../support/server.ts";
import { catalogueReady, IMAGES, type ImagesAnswer, images, names, uploadAll } from "./fixtures.ts";

const stack = useTestStack({ env: { CATALOGUE: "on" } });

const FILES = [
  { name: "hero-banner.png", creator: "alice", metadata: { album: "summer", rank: 3 } },
  { name: "Hero_small.png", creator: "bob", metadata: { rank: 12 } },
  { name: "100% cat.png", metadata: { album: "pets" } },
  { name: "dog.png", creator: "alice", metadata: { rank: 7 } },
  { name: "zebra.png", creator: "carol" },
];

beforeAll(async () => {
  await uploadAll(stack.emulator, FILES);
  await stack.app.catalogue.sweepNow();
  await catalogueReady(stack.gql);
  await stack.emulator.reset();
});

describe("images served by the catalogue", () => {
  it("searches filenames, creators and metadata values, and counts", async () => {
    const hero = await images(stack.gql, { search: "HERO", orderBy: { field: "FILENAME", direction: "ASC" } });
    expect(names(hero)).toEqual(["hero-banner.png", "Hero_small.png"]);
    expect(hero.totalCount).toBe(2);
    expect(
      names(await images(stack.gql, { search: "alice", orderBy: { field: "FILENAME", direction: "ASC" } })),
    ).toEqual(["dog.png", "hero-banner.png"]);
    expect(names(await images(stack.gql, { search: "pets" }))).toEqual(["100% cat.png"]);
    expect(names(await images(stack.gql, { search: "hero bob" }))).toEqual(["Hero_small.png"]);
    // Served without a call upstream.
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("sorts by filename both ways and pages by keyset, forward and back", async () => {
    const orderBy = { field: "FILENAME", direction: "ASC" };
    const first = await images(stack.gql, { orderBy, first: 2 });
    expect(names(first)).toEqual(["100% cat.png", "dog.png"]);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await images(stack.gql, { orderBy, first: 2, after: first.pageInfo.endCursor });
    expect(names(second)).toEqual(["hero-banner.png", "Hero_small.png"]);
    const third = await images(stack.gql, { orderBy, first: 2, after: second.pageInfo.endCursor });
    expect(names(third)).toEqual(["zebra.png"]);
    expect(third.pageInfo.hasNextPage).toBe(false);
    const back = await images(stack.gql, { orderBy, last: 3, before: third.pageInfo.startCursor });
    expect(names(back)).toEqual(["dog.png", "hero-banner.png", "Hero_small.png"]);
    expect(back.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const tail = await images(stack.gql, { orderBy: { field: "FILENAME", direction: "DESC" }, last: 1 });
    expect(names(tail)).toEqual(["100% cat.png"]);
  });

  it("filters by filename, creator, upload time, signed URLs and metadata ranges", async () => {
    expect(names(await images(stack.gql, { filter: { filename: "HERO" }, orderBy: { field: "ID" } }))).toHaveLength(2);
    expect(
      names(
        await images(stack.gql, {
          filter: { filename: "o", creator: "alice" },
          orderBy: { field: "FILENAME", direction: "ASC" },
        }),
      ),
    ).toEqual(["dog.png", "hero-banner.png"]);
    const range = { rank: { path: "rank", op: "GTE", value: "5" } };
    const ranked = await images(stack.gql, {
      filter: { requireSignedURLs: false, meta: [range.rank] },
      orderBy: { field: "FILENAME", direction: "ASC" },
    });
    expect(names(ranked)).toEqual(["dog.png", "Hero_small.png"]);
    // More conditions than the upstream's 5, when the catalogue serves the query.
    const many = Array.from({ length: 7 }, () => range.rank);
    const manyAnswer = await images(stack.gql, { filter: { filename: "png", meta: many } });
    expect(manyAnswer.totalCount).toBe(2);
    // String ranges, which the upstream lacks: served by the catalogue alone, without a call upstream.
    await stack.emulator.reset();
    const albums = await images(stack.gql, {
      filter: { meta: [{ path: "album", op: "GTE_STRING", value: "q" }] },
    });
    expect(names(albums)).toEqual(["hero-banner.png"]);
    expect(albums.totalCount).toBe(1);
    const between = await images(stack.gql, {
      filter: {
        meta: [
          { path: "album", op: "GT_STRING", value: "p" },
          { path: "album", op: "LTE_STRING", value: "summer" },
        ],
      },
      orderBy: { field: "FILENAME", direction: "ASC" },
    });
    expect(names(between)).toEqual(["100% cat.png", "hero-banner.png"]);
    // Numbers are not strings: a string range never matches `rank`.
    expect(
      (await images(stack.gql, { filter: { meta: [{ path: "rank", op: "GT_STRING", value: "" }] } })).totalCount,
    ).toBe(0);
    expect(await stack.emulator.counts()).toEqual({});
    const future = await images(stack.gql, { filter: { uploaded: { after: "2999-01-01T00:00:00Z" } } });
    expect(future.totalCount).toBe(0);
    const past = await images(stack.gql, { filter: { uploaded: { before: "2999-01-01T00:00:00Z" } } });
    expect(past.totalCount).toBe(5);
  });

  it("takes wildcards, quotes and SQL as plain text", async () => {
    expect(names(await images(stack.gql, { search: "%" }))).toEqual(["100% cat.png"]);
    expect(names(await images(stack.gql, { search: "_" }))).toEqual(["Hero_small.png"]);
    for (const search of ["*", "'", '"', "' OR 1=1 --", "'); DROP TABLE images; --", "\\"]) {
      expect((await images(stack.gql, { search })).totalCount, search).toBe(0);
    }
    expect((await images(stack.gql, {})).totalCount).toBe(5);
  });

  it("refuses bad input with BAD_USER_INPUT", async () => {
    const refused = async (variables: Record<string, unknown>) => {
      const answer = await stack.gql<ImagesAnswer>(IMAGES, variables);
      return answer.errors?.map((e) => e.extensions?.code);
    };
    expect(await refused({ search: "x".repeat(201) })).toEqual(["BAD_USER_INPUT"]);
    expect(await refused({ search: "   " })).toEqual(["BAD_USER_INPUT"]);
    expect(await refused({ search: "a\u0000b" })).toEqual(["BAD_USER_INPUT"]);
    expect(
      await refused({ filter: { uploaded: { after: "2026-01-02T00:00:00Z", before: "2026-01-01T00:00:00Z" } } }),
    ).toEqual(["BAD_USER_INPUT"]);
    expect(await refused({ orderBy: { field: "SIZE" } })).toEqual(["BAD_USER_INPUT"]);
    expect(await refused({ search: "hero", after: "not-a-cursor" })).toEqual(["BAD_USER_INPUT"]);
    const other = await images(stack.gql, { search: "hero", first: 1 });
    expect(await refused({ search: "dog", after: other.pageInfo.endCursor })).toEqual(["BAD_USER_INPUT"]);
  });

  it("keeps upstream-servable queries on the upstream list, with totalCount from the catalogue", async () => {
    await stack.emulator.reset();
    const answer = await images(stack.gql, { first: 2 });
    expect(answer.edges).toHaveLength(2);
    expect(answer.totalCount).toBe(5);
    expect(await stack.emulator.counts()).toEqual({ "GET /accounts/{account_id}/images/v2": 1 });
  });
});
