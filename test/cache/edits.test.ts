import { describe, expect, it } from "vitest";
import { READS, seedImages } from "../support/cache.ts";
import { useInProcessStack } from "../support/in-process.ts";

// Long lifetimes and pages of 10 upstream: only a write can make a change visible, page by page.
const ENV = {
  CACHE: "on",
  CACHE_IMAGE_TTL_SECONDS: "3600",
  CACHE_LIST_TTL_SECONDS: "3600",
  UPSTREAM_PAGE_SIZE: "10",
};
const stack = useInProcessStack({ env: ENV, emulator: { seed: false } });

const PAGE = `query($after: String, $filter: ImageFilter) {
  images(first: 10, after: $after, filter: $filter, sortOrder: ASC) {
    edges { node { imageId creator } }
    pageInfo { endCursor }
  }
}`;
interface Page {
  images: { edges: { node: { imageId: string; creator: string | null } }[]; pageInfo: { endCursor: string } };
}
const page = async (variables: Record<string, unknown> = {}) => {
  const answer = await stack.gql<Page>(PAGE, variables);
  expect(answer.errors).toBeUndefined();
  return (answer.data as Page).images;
};
const creators = (p: Page["images"]) => Object.fromEntries(p.edges.map((e) => [e.node.imageId, e.node.creator]));
const edit = async (imageId: string, creator: string) => {
  const answer = await stack.gql<{ updateImage: { __typename: string } }>(
    `mutation($imageId: ID!, $creator: String!) { updateImage(input: { imageId: $imageId, creator: $creator }) { __typename } }`,
    { imageId, creator },
  );
  expect(answer.data?.updateImage.__typename).toBe("UpdateImagePayload");
};

describe("an edit ends only the list pages that show the image", () => {
  it("re-reads the page holding the edited image, and no other", async () => {
    await stack.emulator.reset();
    const ids = await seedImages(stack.emulator, 20, "seed");
    const first = await page();
    const second = await page({ after: first.pageInfo.endCursor });
    expect(first.edges).toHaveLength(10);
    expect(second.edges).toHaveLength(10);
    const onSecond = second.edges[3]?.node.imageId as string;
    expect(ids).toContain(onSecond);

    await stack.emulator.reset();
    await edit(onSecond, "edited");
    const firstAgain = await page();
    expect(creators(firstAgain)).toEqual(creators(first));
    expect((await stack.emulator.counts())[READS.list] ?? 0).toBe(0);
    const secondAgain = await page({ after: firstAgain.pageInfo.endCursor });
    expect(creators(secondAgain)[onSecond]).toBe("edited");
    expect((await stack.emulator.counts())[READS.list]).toBe(1);
  });

  it("ends filtered lists, which an edit can move an image into or out of", async () => {
    await stack.emulator.reset();
    const [moving] = (await seedImages(stack.emulator, 3, "alice")) as [string];
    await seedImages(stack.emulator, 2, "bob");
    const bobs = await page({ filter: { creator: "bob" } });
    expect(bobs.edges.map((e) => e.node.imageId)).not.toContain(moving);
    const alices = await page({ filter: { creator: "alice" } });
    expect(alices.edges.map((e) => e.node.imageId)).toContain(moving);

    await edit(moving, "bob");
    expect((await page({ filter: { creator: "bob" } })).edges.map((e) => e.node.imageId)).toContain(moving);
    expect((await page({ filter: { creator: "alice" } })).edges.map((e) => e.node.imageId)).not.toContain(moving);
  });
});
