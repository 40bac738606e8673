import { describe, expect, it } from "vitest";
import { sampleGif, samplePng } from "../../src/emulator/samples/index.ts";
import { useTestStack } from "../support/server.ts";
import { gqlMultipart, UPLOAD_IMAGE, type UploadResult } from "../support/uploads.ts";

const BLOB = "GET /accounts/{account_id}/images/v1/{image_id}/blob";

const stack = useTestStack({ resetEmulatorBeforeEach: true });

async function uploadThroughGraphQL(bytes: Uint8Array, name: string, id?: string): Promise<string> {
  const answer = await gqlMultipart<UploadResult>(stack, UPLOAD_IMAGE, { input: { file: null, id } }, [
    { path: "variables.input.file", bytes, name },
  ]);
  const imageId = answer.data?.uploadImage.image?.imageId;
  if (!imageId) throw new Error(`upload failed: ${answer.text}`);
  return imageId;
}

describe("GET /images/<imageId>/blob", () => {
  it("streams the uploaded bytes back with the upstream's content type", async () => {
    const gif = sampleGif(9, 9, 4);
    const imageId = await uploadThroughGraphQL(gif, "anim.bin");
    await stack.emulator.reset();
    const response = await fetch(new URL(`/images/${imageId}/blob`, stack.server.url));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/gif");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(gif);
    expect(await stack.emulator.counts()).toEqual({ [BLOB]: 1 });
  });

  it("serves custom ids with slashes, written as they are or encoded", async () => {
    const png = samplePng(3, 7);
    await uploadThroughGraphQL(png, "p.png", "albums/2024/cover");
    for (const path of ["/images/albums/2024/cover/blob", "/images/albums%2F2024%2Fcover/blob"]) {
      const response = await fetch(new URL(path, stack.server.url));
      expect(response.status).toBe(200);
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(png);
    }
  });

  it("answers 404 JSON for an unknown id", async () => {
    const response = await fetch(new URL("/images/not-there/blob", stack.server.url));
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  it("answers 405 to other methods, and leaves /graphql as it was", async () => {
    const response = await fetch(new URL("/images/x/blob", stack.server.url), { method: "DELETE" });
    expect(response.status).toBe(405);
    expect((await stack.gql<{ __typename: string }>("{ __typename }")).data?.__typename).toBe("Query");
  });
});
