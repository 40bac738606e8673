import { afterEach, describe, expect, it } from "vitest";
import type { EmulatorOptions } from "../../src/emulator/index.ts";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { blobOf, pngPart, UUID, uploaded, type WireImage } from "../support/images.ts";

let emulator: TestEmulator;
afterEach(() => emulator.close());

async function start(options: EmulatorOptions = {}): Promise<void> {
  emulator = await startTestEmulator(options);
}

const patch = (id: string, json: unknown) =>
  emulator.api<WireImage>("PATCH", `/v1/${encodeURIComponent(id)}`, { json });
const listedIds = async () =>
  (await emulator.api<{ images: WireImage[] }>("GET", "/v2?sort_order=asc")).body.result.images.map((i) => i.id);

describe("requireSignedURLs changes, by default", () => {
  it("keep the image's id", async () => {
    await start();
    const image = await uploaded(emulator);
    const answer = await patch(image.id, { requireSignedURLs: true });
    expect(answer.status).toBe(200);
    expect(answer.body.result).toMatchObject({ id: image.id, requireSignedURLs: true });
    expect((await emulator.api("GET", `/v1/${image.id}`)).status).toBe(200);
  });
});

describe("with newIdOnSignedUrlsChange", () => {
  it("gives the image a new id on a change: the answer carries it, the old id is gone", async () => {
    await start({ newIdOnSignedUrlsChange: true });
    const bytes = samplePng(5, 5, 9);
    const image = await uploaded(emulator, { creator: "ada", metadata: '{"k":"v"}' }, pngPart("x.png", bytes));

    const answer = await patch(image.id, { requireSignedURLs: true, metadata: { k: "w" } });
    expect(answer.status).toBe(200);
    const renamed = answer.body.result;
    expect(renamed.id).toMatch(UUID);
    expect(renamed.id).not.toBe(image.id);
    expect(renamed).toMatchObject({
      filename: "x.png",
      creator: "ada",
      meta: { k: "w" },
      requireSignedURLs: true,
      uploaded: image.uploaded,
    });
    expect(renamed.variants.every((url) => url.includes(`/${renamed.id}/`))).toBe(true);

    const old = await emulator.api("GET", `/v1/${image.id}`);
    expect(old.status).toBe(404);
    expect(old.body.errors).toEqual([{ code: 5404, message: "Image not found" }]);
    expect((await patch(image.id, { creator: "bob" })).status).toBe(404);
    expect((await emulator.api<WireImage>("GET", `/v1/${renamed.id}`)).body.result).toEqual(renamed);
    expect(new Uint8Array(await (await blobOf(emulator, renamed.id)).arrayBuffer())).toEqual(bytes);
  });

  it("keeps the image's place in the list and the image count", async () => {
    await start({ newIdOnSignedUrlsChange: true });
    const first = await uploaded(emulator);
    const middle = await uploaded(emulator);
    const last = await uploaded(emulator);
    const renamed = (await patch(middle.id, { requireSignedURLs: true })).body.result;
    expect(await listedIds()).toEqual([first.id, renamed.id, last.id]);
    const stats = await emulator.api<{ count: { current: number } }>("GET", "/v1/stats");
    expect(stats.body.result.count.current).toBe(3);
  });

  it("changes the id on every change back and forth, and never when the value stays the same", async () => {
    await start({ newIdOnSignedUrlsChange: true });
    const image = await uploaded(emulator);
    const same = (await patch(image.id, { requireSignedURLs: false, creator: "c" })).body.result;
    expect(same.id).toBe(image.id);
    const other = (await patch(image.id, { creator: "d" })).body.result;
    expect(other.id).toBe(image.id);

    const privateOne = (await patch(image.id, { requireSignedURLs: true })).body.result;
    expect(privateOne.id).not.toBe(image.id);
    const publicAgain = (await patch(privateOne.id, { requireSignedURLs: false })).body.result;
    expect(publicAgain.id).not.toBe(privateOne.id);
    expect(publicAgain.id).not.toBe(image.id);
    expect(await listedIds()).toEqual([publicAgain.id]);
  });

  it("still refuses signed URLs on a custom id, leaving the image as it was", async () => {
    await start({ newIdOnSignedUrlsChange: true });
    const image = await uploaded(emulator, { id: "products/chair" });
    const refused = await patch(image.id, { requireSignedURLs: true });
    expect(refused.status).toBe(400);
    expect((await emulator.api<WireImage>("GET", `/v1/${encodeURIComponent(image.id)}`)).body.result.id).toBe(
      "products/chair",
    );
  });

  it("gives a new id through the batch host too, as it serves the same update", async () => {
    await start({ newIdOnSignedUrlsChange: true });
    const image = await uploaded(emulator);
    const token = (await emulator.api<{ token: string }>("GET", "/v1/batch_token")).body.result.token;
    const response = await fetch(`${emulator.batchBaseUrl}/images/v1/${image.id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ requireSignedURLs: true }),
    });
    const renamed = ((await response.json()) as { result: WireImage }).result;
    expect(renamed.id).not.toBe(image.id);
    expect((await emulator.api("GET", `/v1/${image.id}`)).status).toBe(404);
  });
});
