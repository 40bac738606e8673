import { beforeAll, describe, expect, it } from "vitest";
import { pngPart } from "../support/images.ts";
import { useTestStack } from "../support/server.ts";
import { gqlMultipart, UPLOAD_IMAGE } from "../support/uploads.ts";
import { catalogueReady, images, uploadAll } from "./fixtures.ts";

const stack = useTestStack({
  emulator: { newIdOnSignedUrlsChange: true },
  env: { CATALOGUE: "on", CATALOGUE_DELTA_SECONDS: "1" },
});

const UPDATE = `
  mutation($input: UpdateImageInput!) {
    updateImage(input: $input) { __typename ... on UpdateImagePayload { image { imageId } previousImageId } }
  }
`;
const DELETE = `mutation($id: ID!) { deleteImage(input: { imageId: $id }) { __typename } }`;

let ids: string[] = [];
beforeAll(async () => {
  ids = await uploadAll(stack.emulator, [{ name: "one.png" }, { name: "two.png" }, { name: "three.png" }]);
  await stack.app.catalogue.sweepNow();
  await catalogueReady(stack.gql);
});

const found = async (search: string) => (await images(stack.gql, { search })).edges.map((e) => e.node.imageId);

describe("the catalogue after this API's writes", () => {
  it("finds an edit in the very next search, with no sweep between", async () => {
    const id = ids[0] as string;
    const answer = await stack.gql(UPDATE, { input: { imageId: id, metadata: { tag: "freshly-tagged" } } });
    expect(answer.errors).toBeUndefined();
    expect(await found("freshly-tagged")).toEqual([id]);
  });

  it("moves an image to the new id a requireSignedURLs change gives it", async () => {
    const id = ids[1] as string;
    const answer = await stack.gql<{ updateImage: { image: { imageId: string }; previousImageId: string } }>(UPDATE, {
      input: { imageId: id, requireSignedURLs: true },
    });
    const newId = answer.data?.updateImage.image.imageId as string;
    expect(newId).not.toBe(id);
    expect(await found("two.png")).toEqual([newId]);
    const signed = await images(stack.gql, { filter: { requireSignedURLs: true } });
    expect(signed.edges.map((e) => e.node.imageId)).toEqual([newId]);
  });

  it("forgets a deleted image at once, and counts one fewer", async () => {
    const before = (await images(stack.gql, { search: "png" })).totalCount;
    const id = ids[2] as string;
    expect((await stack.gql(DELETE, { id })).errors).toBeUndefined();
    expect(await found("three")).toEqual([]);
    expect((await images(stack.gql, { search: "png" })).totalCount).toBe(before - 1);
  });

  it("finds an image uploaded through the API at once", async () => {
    const answer = await gqlMultipart<{ uploadImage: { image: { imageId: string } } }>(
      stack,
      UPLOAD_IMAGE,
      { input: { file: null, metadata: { note: "uploaded-through-graphql" } } },
      [{ path: "variables.input.file", ...pngPart("new-upload.png") }],
    );
    expect(answer.errors).toBeUndefined();
    expect(await found("uploaded-through-graphql")).toEqual([answer.data?.uploadImage.image.imageId]);
  });

  it("finds an image uploaded elsewhere after the next delta", async () => {
    const [elsewhere] = await uploadAll(stack.emulator, [{ name: "from-the-dashboard.png" }]);
    await expect.poll(() => found("from-the-dashboard"), { timeout: 10_000, interval: 100 }).toEqual([elsewhere]);
  });
});
