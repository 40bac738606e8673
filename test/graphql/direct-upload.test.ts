import { describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { useTestStack } from "../support/server.ts";

const DIRECT_UPLOAD_V2 = "POST /accounts/{account_id}/images/v2/direct_upload";
const GET_IMAGE = "GET /accounts/{account_id}/images/v1/{image_id}";

const stack = useTestStack({ resetEmulatorBeforeEach: true });

const CREATE = `
  mutation($input: CreateDirectUploadInput!) {
    createDirectUpload(input: $input) {
      __typename
      ... on CreateDirectUploadPayload { uploadURL expiresAt image { imageId draft creator meta } }
      ... on MutationError { message }
      ... on ValidationError { path }
      ... on ConflictError { path }
    }
  }
`;

interface CreateResult {
  createDirectUpload: {
    __typename: string;
    uploadURL?: string;
    expiresAt?: string;
    image?: { imageId: string; draft: boolean; creator: string | null; meta: unknown };
    path?: string[];
  };
}

const IMAGE = `query($id: ID!) { image(imageId: $id) { imageId draft filename } }`;

describe("createDirectUpload", () => {
  it("hands out a one-time URL; a browser POST to it turns the draft into an image", async () => {
    const expiresAt = new Date(Date.now() + 10 * 60_000);
    const answer = await stack.gql<CreateResult>(CREATE, {
      input: { creator: "browser", metadata: { form: "signup" }, expiresAt: expiresAt.toISOString() },
    });
    const created = answer.data?.createDirectUpload;
    expect(created).toMatchObject({
      __typename: "CreateDirectUploadPayload",
      image: { draft: true, creator: "browser", meta: { form: "signup" } },
    });
    expect(new Date(created?.expiresAt ?? 0).getTime()).toBe(expiresAt.getTime());
    expect(await stack.emulator.counts()).toEqual({ [DIRECT_UPLOAD_V2]: 1, [GET_IMAGE]: 1 });

    const form = new FormData();
    const png = samplePng(6, 4);
    form.append("file", new Blob([png], { type: "image/png" }), "avatar.png");
    const posted = await fetch(created?.uploadURL ?? "", { method: "POST", body: form });
    expect(posted.status).toBe(200);

    const imageId = created?.image?.imageId;
    const read = await stack.gql<{ image: { imageId: string; draft: boolean; filename: string } }>(IMAGE, {
      id: imageId,
    });
    expect(read.data?.image).toEqual({ imageId, draft: false, filename: "avatar.png" });
    const blob = await fetch(new URL(`/images/${imageId}/blob`, stack.server.url));
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(png);
  });

  it("takes a custom id, and a second draft with the same id is a ConflictError", async () => {
    const first = await stack.gql<CreateResult>(CREATE, { input: { id: "avatars/ada" } });
    expect(first.data?.createDirectUpload.image?.imageId).toBe("avatars/ada");
    const second = await stack.gql<CreateResult>(CREATE, { input: { id: "avatars/ada" } });
    expect(second.data?.createDirectUpload).toMatchObject({ __typename: "ConflictError", path: ["input", "id"] });
  });

  it.each([
    ["an expiry under 2 minutes away", { expiresAt: new Date(Date.now() + 60_000).toISOString() }, "expiresAt"],
    ["an expiry over 6 hours away", { expiresAt: new Date(Date.now() + 7 * 3_600_000).toISOString() }, "expiresAt"],
    ["metadata over 1024 bytes", { metadata: { blob: "y".repeat(1030) } }, "metadata"],
  ])("refuses %s with a ValidationError and no upstream call", async (_case, input, field) => {
    const answer = await stack.gql<CreateResult>(CREATE, { input });
    expect(answer.data?.createDirectUpload).toMatchObject({ __typename: "ValidationError", path: ["input", field] });
    expect(await stack.emulator.counts()).toEqual({});
  });
});
