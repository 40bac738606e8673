import { describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { DETAIL, type DetailAnswer, GALLERY, type GalleryAnswer, READS, seedImages } from "../support/cache.ts";
import { startInProcessStack, useInProcessStack } from "../support/in-process.ts";
import { gqlMultipart, UPLOAD_IMAGE, type UploadResult } from "../support/uploads.ts";

// Long lifetimes: whatever a test sees changed was changed by the write, not by an expiry.
const ENV = { CACHE: "on", CACHE_IMAGE_TTL_SECONDS: "3600", CACHE_LIST_TTL_SECONDS: "3600" };
const stack = useInProcessStack({ env: ENV, emulator: { seed: true } });

/** `fresh`: after images were made elsewhere (which the cache cannot know of), read through once. */
const gallery = async (fresh = false) => {
  const answer = await stack.gql<GalleryAnswer>(GALLERY, { first: 100 }, fresh ? { "cache-control": "no-cache" } : {});
  expect(answer.errors).toBeUndefined();
  return answer.data as GalleryAnswer;
};
const detail = async (id: string) => (await stack.gql<DetailAnswer>(DETAIL, { id })).data?.image ?? null;
const creatorIn = (page: GalleryAnswer, id: string) =>
  page.images.edges.find((e) => e.node.imageId === id)?.node.creator;
const idsIn = (page: GalleryAnswer) => page.images.edges.map((e) => e.node.imageId);

const UPDATE = `mutation($input: UpdateImageInput!) {
  updateImage(input: $input) {
    __typename
    ... on UpdateImagePayload { image { imageId requireSignedURLs creator } previousImageId }
  }
}`;
interface UpdateAnswer {
  updateImage: {
    __typename: string;
    image: { imageId: string; requireSignedURLs: boolean; creator: string | null };
    previousImageId: string | null;
  };
}

describe("our own writes end what they change before they answer", () => {
  it("update: the record and the list pages holding it", async () => {
    const [id] = (await seedImages(stack.emulator, 1, "before")) as [string];
    expect(creatorIn(await gallery(true), id)).toBe("before");
    expect(creatorIn(await gallery(), id)).toBe("before");
    expect((await detail(id))?.creator).toBe("before");
    await stack.emulator.reset();
    const update = await stack.gql<UpdateAnswer>(UPDATE, { input: { imageId: id, creator: "after" } });
    expect(update.data?.updateImage).toMatchObject({ __typename: "UpdateImagePayload", previousImageId: null });
    expect((await detail(id))?.creator).toBe("after");
    expect(creatorIn(await gallery(), id)).toBe("after");
    const counts = await stack.emulator.counts();
    expect(counts[READS.image]).toBe(1);
    expect(counts[READS.list]).toBe(1);
    // Nothing else was touched: the count is still cached.
    expect(counts[READS.stats] ?? 0).toBe(0);
  });

  it("delete: the record, the pages and the count", async () => {
    const [id] = (await seedImages(stack.emulator, 1)) as [string];
    const before = await gallery(true);
    expect(idsIn(before)).toContain(id);
    expect(await detail(id)).not.toBeNull();
    const answer = await stack.gql(`mutation($id: ID!) { deleteImage(input: { imageId: $id }) { __typename } }`, {
      id,
    });
    expect(answer.data).toEqual({ deleteImage: { __typename: "DeleteImagePayload" } });
    expect(await detail(id)).toBeNull();
    const after = await gallery();
    expect(idsIn(after)).not.toContain(id);
    expect(after.stats.current).toBe(before.stats.current - 1);
  });

  it("upload: the pages, the count, and an earlier not-found of its id", async () => {
    const before = await gallery(true);
    expect(await detail("albums/new-cover")).toBeNull();
    const answer = await gqlMultipart<UploadResult>(
      stack,
      UPLOAD_IMAGE,
      { input: { file: null, id: "albums/new-cover" } },
      [{ path: "variables.input.file", bytes: samplePng(4, 4), name: "cover.png", type: "image/png" }],
    );
    expect(answer.data?.uploadImage.__typename).toBe("UploadImagePayload");
    expect((await detail("albums/new-cover"))?.imageId).toBe("albums/new-cover");
    const after = await gallery();
    expect(idsIn(after)[0]).toBe("albums/new-cover");
    expect(after.stats.current).toBe(before.stats.current + 1);
  });

  it("direct upload: the count is read again", async () => {
    await gallery();
    await stack.emulator.reset();
    const answer = await stack.gql(
      `mutation { createDirectUpload(input: { creator: "browser" }) { __typename ... on CreateDirectUploadPayload { image { draft } } } }`,
    );
    expect(answer.data).toEqual({
      createDirectUpload: { __typename: "CreateDirectUploadPayload", image: { draft: true } },
    });
    const stats = await stack.gql<{ stats: { current: number } }>(`{ stats { current } }`);
    const upstream = await stack.emulator.api<{ count: { current: number } }>("GET", "/v1/stats");
    expect(stats.data?.stats.current).toBe(upstream.body.result.count.current);
    expect((await stack.emulator.counts())[READS.stats]).toBe(2);
  });

  it("variant create and delete: the variant list and the variant URLs of every cached record and page", async () => {
    const [id] = (await seedImages(stack.emulator, 1)) as [string];
    const names = async () => (await detail(id))?.variants.map((v) => v.name) ?? [];
    await gallery(true);
    const listed = async () =>
      (await gallery()).images.edges.find((e) => e.node.imageId === id)?.node.variants.map((v) => v.name);
    expect(await names()).not.toContain("square");
    expect(await listed()).not.toContain("square");
    const created = await stack.gql(
      `mutation { createVariant(input: { name: "square", options: { fit: COVER, width: 64, height: 64, metadata: NONE } }) { __typename } }`,
    );
    expect(created.data).toEqual({ createVariant: { __typename: "CreateVariantPayload" } });
    expect(await names()).toContain("square");
    expect(await listed()).toContain("square");
    const variants = await stack.gql<{ variant: { options: { width: number } } }>(
      `{ variant(name: "square") { options { width } } }`,
    );
    expect(variants.data?.variant.options.width).toBe(64);

    const updated = await stack.gql(
      `mutation { updateVariant(input: { name: "square", options: { fit: COVER, width: 128, height: 128, metadata: NONE } }) { __typename } }`,
    );
    expect(updated.data).toEqual({ updateVariant: { __typename: "UpdateVariantPayload" } });
    const again = await stack.gql<{ variant: { options: { width: number } } }>(
      `{ variant(name: "square") { options { width } } }`,
    );
    expect(again.data?.variant.options.width).toBe(128);

    const deleted = await stack.gql(`mutation { deleteVariant(input: { name: "square" }) { __typename } }`);
    expect(deleted.data).toEqual({ deleteVariant: { __typename: "DeleteVariantPayload" } });
    expect(await names()).not.toContain("square");
    expect(await listed()).not.toContain("square");
  });

  it("signing key create and delete: the key list", async () => {
    const names = async () =>
      ((await stack.gql<{ signingKeys: { name: string }[] }>(`{ signingKeys { name } }`)).data?.signingKeys ?? []).map(
        (k) => k.name,
      );
    expect(await names()).not.toContain("extra");
    const created = await stack.gql(`mutation { createSigningKey(input: { name: "extra" }) { __typename } }`);
    expect(created.data).toEqual({ createSigningKey: { __typename: "CreateSigningKeyPayload" } });
    expect(await names()).toContain("extra");
    const deleted = await stack.gql(`mutation { deleteSigningKey(input: { name: "extra" }) { __typename } }`);
    expect(deleted.data).toEqual({ deleteSigningKey: { __typename: "DeleteSigningKeyPayload" } });
    expect(await names()).not.toContain("extra");
  });

  it("requireSignedURLs without a new id: the payload's previousImageId is null and the record is read anew", async () => {
    const [id] = (await seedImages(stack.emulator, 1)) as [string];
    expect((await detail(id))?.requireSignedURLs).toBe(false);
    const update = await stack.gql<UpdateAnswer>(UPDATE, { input: { imageId: id, requireSignedURLs: true } });
    expect(update.data?.updateImage).toMatchObject({
      image: { imageId: id, requireSignedURLs: true },
      previousImageId: null,
    });
    expect((await detail(id))?.requireSignedURLs).toBe(true);
  });
});

describe("an upstream that gives an image a new id when requireSignedURLs changes", () => {
  it("answers both ids, and the old one is gone from every cached read", async () => {
    const renaming = await startInProcessStack({ env: ENV, emulator: { newIdOnSignedUrlsChange: true } });
    try {
      const [id] = (await seedImages(renaming.emulator, 1)) as [string];
      const read = async (imageId: string) => (await renaming.gql<DetailAnswer>(DETAIL, { id: imageId })).data?.image;
      const page = async () =>
        idsIn((await renaming.gql<GalleryAnswer>(GALLERY, { first: 100 })).data as GalleryAnswer);
      expect((await read(id))?.imageId).toBe(id);
      expect(await page()).toContain(id);
      const update = await renaming.gql<UpdateAnswer>(UPDATE, { input: { imageId: id, requireSignedURLs: true } });
      const payload = update.data?.updateImage;
      expect(payload?.previousImageId).toBe(id);
      const newId = payload?.image.imageId as string;
      expect(newId).not.toBe(id);
      expect(await read(id)).toBeNull();
      expect((await read(newId))?.requireSignedURLs).toBe(true);
      const ids = await page();
      expect(ids).toContain(newId);
      expect(ids).not.toContain(id);
    } finally {
      await renaming.close();
    }
  });
});
