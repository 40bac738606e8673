import Cloudflare, { toFile } from "cloudflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

// Cloudflare's official SDK, unchanged but for its base URL, against the emulator.
let emulator: TestEmulator;
let client: Cloudflare;
let account_id: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  account_id = emulator.accountId;
  client = new Cloudflare({ apiToken: emulator.token, baseURL: emulator.baseUrl, maxRetries: 0 });
});
afterAll(() => emulator.close());

describe("the official Cloudflare SDK against the emulator", () => {
  it("uploads, reads, lists, edits, downloads and deletes an image", async () => {
    const bytes = samplePng(64, 48, 7);
    const image = await client.images.v1.create({
      account_id,
      file: await toFile(bytes, "sdk.png", { type: "image/png" }),
      metadata: JSON.stringify({ source: "sdk", nested: { n: 1 } }),
      creator: "sdk-user",
    });
    expect(image).toMatchObject({
      filename: "sdk.png",
      creator: "sdk-user",
      meta: { source: "sdk", nested: { n: 1 } },
    });
    const id = image.id as string;

    expect((await client.images.v1.get(id, { account_id })).id).toBe(id);

    const list = await client.images.v2.list({ account_id, per_page: 10, sort_order: "desc" });
    expect(list.images?.map((i) => i.id)).toContain(id);

    const edited = await client.images.v1.edit(id, { account_id, metadata: { edited: true }, requireSignedURLs: true });
    expect(edited).toMatchObject({ meta: { edited: true }, requireSignedURLs: true });

    const blob = await client.images.v1.blobs.get(id, { account_id });
    expect(blob.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytes);

    expect((await client.images.v1.stats.get({ account_id })).count?.current).toBe(1);

    await client.images.v1.delete(id, { account_id });
    await expect(client.images.v1.get(id, { account_id })).rejects.toBeInstanceOf(Cloudflare.NotFoundError);
    expect((await client.images.v1.stats.get({ account_id })).count?.current).toBe(0);
  });

  it("manages variants", async () => {
    const created = await client.images.v1.variants.create({
      account_id,
      id: "sdk-thumb",
      options: { fit: "cover", metadata: "none", width: 120, height: 80 },
      neverRequireSignedURLs: true,
    });
    expect(created.variant).toMatchObject({ id: "sdk-thumb", options: { width: 120 } });
    const listed = await client.images.v1.variants.list({ account_id });
    expect(Object.keys(listed.variants ?? {})).toEqual(expect.arrayContaining(["public", "sdk-thumb"]));
    const edited = await client.images.v1.variants.edit("sdk-thumb", {
      account_id,
      options: { fit: "pad", metadata: "keep", width: 300, height: 200 },
    });
    expect(edited.variant?.options).toMatchObject({ fit: "pad", width: 300 });
    expect((await client.images.v1.variants.get("sdk-thumb", { account_id })).variant?.options?.height).toBe(200);
    await client.images.v1.variants.delete("sdk-thumb", { account_id });
    await expect(client.images.v1.variants.delete("public", { account_id })).rejects.toBeInstanceOf(
      Cloudflare.BadRequestError,
    );
  });

  it("manages signing keys", async () => {
    const after = await client.images.v1.keys.update("sdk-key", { account_id });
    expect(after.keys?.map((k) => k.name)).toEqual(expect.arrayContaining(["default", "sdk-key"]));
    const listed = await client.images.v1.keys.list({ account_id });
    expect(listed.keys?.every((k) => typeof k.value === "string" && k.value.length > 0)).toBe(true);
    const left = await client.images.v1.keys.delete("sdk-key", { account_id });
    expect(left.keys?.map((k) => k.name)).toEqual(["default"]);
  });

  it("creates a direct upload whose URL accepts one file", async () => {
    const upload = await client.images.v2.directUploads.create({
      account_id,
      metadata: JSON.stringify({ via: "sdk" }),
    });
    expect(upload.uploadURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/upload\//);
    const draft = await client.images.v1.get(upload.id as string, { account_id });
    expect(draft).toMatchObject({ draft: true });
    const form = new FormData();
    form.set("file", new Blob([samplePng(20, 20, 3) as Uint8Array<ArrayBuffer>], { type: "image/png" }), "direct.png");
    expect((await fetch(upload.uploadURL as string, { method: "POST", body: form })).status).toBe(200);
    const done = await client.images.v1.get(upload.id as string, { account_id });
    expect(done).not.toHaveProperty("draft");
    expect(done.meta).toEqual({ via: "sdk" });
  });

  it("surfaces the emulator's failures as the SDK's typed errors", async () => {
    const wrong = new Cloudflare({ apiToken: "not-the-token", baseURL: emulator.baseUrl, maxRetries: 0 });
    await expect(wrong.images.v1.stats.get({ account_id })).rejects.toBeInstanceOf(Cloudflare.PermissionDeniedError);
    await expect(client.images.v1.get("missing", { account_id })).rejects.toMatchObject({
      status: 404,
      errors: [{ code: 5404, message: "Image not found" }],
    });
  });
});
