import { beforeAll, describe, expect, it } from "vitest";
import { useTestStack } from "../support/server.ts";
import { catalogueReady, images, uploadAll } from "./fixtures.ts";

const stack = useTestStack({ env: { CATALOGUE: "on" } });

const DELETE = `mutation($id: ID!) { deleteImage(input: { imageId: $id }) { __typename } }`;
const names = Array.from({ length: 12 }, (_, i) => `walk-${String(i).padStart(2, "0")}.png`);
let ids: string[] = [];

beforeAll(async () => {
  ids = await uploadAll(
    stack.emulator,
    names.map((name) => ({ name })),
  );
  await stack.app.catalogue.sweepNow();
  await catalogueReady(stack.gql);
});

describe("keyset cursors while images come and go", () => {
  it("never repeat an image nor skip one that existed for the whole walk, both ways", async () => {
    const orderBy = { field: "FILENAME", direction: "ASC" };
    const seen: string[] = [];
    let after: string | null = null;
    let step = 0;
    for (;;) {
      const page = await images(stack.gql, { search: "walk-", orderBy, first: 3, after });
      seen.push(...page.edges.map((e) => e.node.filename as string));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
      // Between pages: one image already read is deleted, one not yet read is deleted, one is added.
      if (step === 0) {
        await stack.gql(DELETE, { id: ids[0] });
        await stack.gql(DELETE, { id: ids[9] });
        await uploadAll(stack.emulator, [{ name: "walk-05b.png" }]);
        await stack.app.catalogue.sweepNow();
      }
      step += 1;
    }
    expect(new Set(seen).size).toBe(seen.length);
    const existedThroughout = names.filter((_, i) => i !== 0 && i !== 9);
    for (const name of existedThroughout) expect(seen).toContain(name);
    expect(seen).not.toContain("walk-09.png");

    // And back from the end, with `last`/`before`.
    const back: string[] = [];
    let before: string | null = null;
    for (;;) {
      const page = await images(stack.gql, { search: "walk-", orderBy, last: 4, before });
      back.unshift(...page.edges.map((e) => e.node.filename as string));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(back).toEqual([...existedThroughout, "walk-05b.png"].sort());
  });
});
