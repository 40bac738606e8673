import { describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { accountView, uploaded } from "../support/images.ts";
import { useInProcessStack } from "../support/in-process.ts";
import { gqlMultipart, UPLOAD_IMAGE, UPLOAD_V1, type UploadResult } from "../support/uploads.ts";

const ROUTE = "/accounts/{account_id}/images/v1/{image_id}";
const GET_IMAGE = `GET ${ROUTE}`;
const PATCH_IMAGE = `PATCH ${ROUTE}`;
const DELETE_IMAGE = `DELETE ${ROUTE}`;

const stack = useInProcessStack({ resetEmulatorBeforeEach: true });

const UPDATE = `
  mutation($input: UpdateImageInput!) {
    updateImage(input: $input) {
      __typename
      ... on UpdateImagePayload { image { imageId creator meta requireSignedURLs } }
      ... on MutationError { message }
      ... on ValidationError { path }
      ... on NotFoundError { resource id }
    }
  }
`;

interface UpdateResult {
  updateImage: {
    __typename: string;
    image?: { imageId: string; creator: string | null; meta: unknown; requireSignedURLs: boolean };
    path?: string[];
    resource?: string;
    id?: string;
  };
}

describe("updateImage", () => {
  it("changes the image, and each later mutation in the same request sees the change", async () => {
    const { id } = await uploaded(stack.emulator, { creator: "before" });
    await stack.emulator.reset();
    const answer = await stack.gql<Record<string, { image: { creator: string; meta: unknown } }>>(
      `mutation($id: ID!) {
        first: updateImage(input: { imageId: $id, creator: "alice" }) {
          ... on UpdateImagePayload { image { creator meta } }
        }
        second: updateImage(input: { imageId: $id, metadata: { step: 2 } }) {
          ... on UpdateImagePayload { image { creator meta } }
        }
      }`,
      { id },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.first?.image).toEqual({ creator: "alice", meta: {} });
    expect(answer.data?.second?.image).toEqual({ creator: "alice", meta: { step: 2 } });
    // The loader is primed with what each PATCH answered: no lookups.
    expect(await stack.emulator.counts()).toEqual({ [PATCH_IMAGE]: 2 });
    const stored = await stack.emulator.api<{ creator: string }>("GET", `/v1/${id}`);
    expect(stored.body.result.creator).toBe("alice");
  });

  it("does not let a later request join a lookup that began before the change", async () => {
    const { id } = await uploaded(stack.emulator, { creator: "old" });
    await stack.emulator.reset();
    await stack.emulator.admin("POST", "/latency", { ms: 400, route: ROUTE, method: "GET" });
    const read = `query($id: ID!) { image(imageId: $id) { creator } }`;
    const early = stack.gql(read, { id });
    while (((await stack.emulator.counts())[GET_IMAGE] ?? 0) < 1) await new Promise((r) => setTimeout(r, 5));
    const update = await stack.gql<UpdateResult>(UPDATE, { input: { imageId: id, creator: "new" } });
    expect(update.data?.updateImage.__typename).toBe("UpdateImagePayload");
    const late = await stack.gql<{ image: { creator: string } }>(read, { id });
    expect(late.data?.image.creator).toBe("new");
    await early;
    expect((await stack.emulator.counts())[GET_IMAGE]).toBe(2);
  });

  it.each([
    ["no field to change", {}, ["input"]],
    ["metadata that is not an object", { metadata: [1, 2] }, ["input", "metadata"]],
    ["signed URLs for a custom id", { requireSignedURLs: true }, ["input", "requireSignedURLs"]],
  ])("refuses %s with a ValidationError and no upstream call", async (_case, change, path) => {
    const answer = await stack.gql<UpdateResult>(UPDATE, { input: { imageId: "albums/cover", ...change } });
    expect(answer.data?.updateImage).toMatchObject({ __typename: "ValidationError", path });
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("answers a NotFoundError for an unknown image", async () => {
    const answer = await stack.gql<UpdateResult>(UPDATE, { input: { imageId: "missing/one", creator: "x" } });
    expect(answer.data?.updateImage).toMatchObject({
      __typename: "NotFoundError",
      resource: "IMAGE",
      id: "missing/one",
    });
  });

  it("is not retried when the upstream fails: the change is answered once as an UpstreamError", async () => {
    const { id } = await uploaded(stack.emulator);
    await stack.emulator.reset();
    await stack.emulator.admin("POST", "/faults", { method: "PATCH", route: ROUTE, count: 1, status: 503 });
    const answer = await stack.gql<{ updateImage: { __typename: string; status: number } }>(
      `mutation($id: ID!) { updateImage(input: { imageId: $id, creator: "x" }) {
        __typename ... on UpstreamError { status errors { code } }
      } }`,
      { id },
    );
    expect(answer.data?.updateImage).toMatchObject({ __typename: "UpstreamError", status: 503 });
    expect((await stack.emulator.counts())[PATCH_IMAGE]).toBe(1);
  });
});

describe("deleteImage", () => {
  const DELETE = `mutation($id: ID!) {
    before: updateImage(input: { imageId: $id, creator: "doomed" }) {
      ... on UpdateImagePayload { image { imageId } }
    }
    deleteImage(input: { imageId: $id }) {
      __typename
      ... on DeleteImagePayload { deletedImageId deletedId }
      ... on NotFoundError { message resource id }
    }
    again: updateImage(input: { imageId: $id, creator: "ghost" }) {
      __typename
      ... on NotFoundError { resource id }
    }
  }`;

  it("deletes; a later change in the same request finds nothing, and the next request reads null", async () => {
    const { id } = await uploaded(stack.emulator);
    await stack.emulator.reset();
    const answer = await stack.gql<{
      before: { image: { imageId: string } };
      deleteImage: { __typename: string; deletedImageId: string; deletedId: string };
      again: { __typename: string; resource: string; id: string };
    }>(DELETE, { id });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.before.image).toEqual({ imageId: id });
    expect(answer.data?.deleteImage).toMatchObject({ __typename: "DeleteImagePayload", deletedImageId: id });
    expect(answer.data?.again).toEqual({ __typename: "NotFoundError", resource: "IMAGE", id });
    expect(await stack.emulator.counts()).toEqual({ [PATCH_IMAGE]: 2, [DELETE_IMAGE]: 1 });

    const node = await stack.gql<{ node: unknown; image: unknown }>(
      `query($gid: ID!, $id: ID!) { node(id: $gid) { id } image(imageId: $id) { imageId } }`,
      { gid: answer.data?.deleteImage.deletedId, id },
    );
    expect(node.data).toEqual({ node: null, image: null });
  });

  it("answers a NotFoundError for an image that does not exist", async () => {
    const answer = await stack.gql<{ deleteImage: unknown }>(
      `mutation { deleteImage(input: { imageId: "no/such" }) { __typename ... on NotFoundError { resource id message } } }`,
    );
    expect(answer.data?.deleteImage).toMatchObject({ __typename: "NotFoundError", resource: "IMAGE", id: "no/such" });
  });
});

describe("non-idempotent calls", () => {
  it("sends a failed upload once: a 502 is an UpstreamError, and no image appears", async () => {
    const before = await accountView(stack.emulator);
    await stack.emulator.reset();
    await stack.emulator.admin("POST", "/faults", {
      method: "POST",
      route: "/accounts/{account_id}/images/v1",
      count: 1,
      status: 502,
    });
    const answer = await gqlMultipart<UploadResult>(stack, UPLOAD_IMAGE, { input: { file: null } }, [
      { path: "variables.input.file", bytes: samplePng(8, 8), name: "once.png" },
    ]);
    expect(answer.data?.uploadImage.__typename).toBe("UpstreamError");
    expect(await stack.emulator.counts()).toEqual({ [UPLOAD_V1]: 1 });
    expect(await accountView(stack.emulator)).toEqual(before);
  });

  it("does not resend an upload by URL after a dropped connection", async () => {
    await stack.emulator.admin("POST", "/faults", {
      method: "POST",
      route: "/accounts/{account_id}/images/v1",
      count: 1,
      drop: true,
    });
    const answer = await stack.gql<UploadResult>(UPLOAD_IMAGE, { input: { url: "http://127.0.0.1:9/x.png" } });
    expect(answer.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(await stack.emulator.counts()).toEqual({ [UPLOAD_V1]: 1 });
  });
});
