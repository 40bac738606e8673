import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sampleJpeg, samplePng } from "../../src/emulator/samples/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import {
  accountView,
  blobOf,
  expectRefused,
  pngPart,
  rawApi,
  UUID,
  upload,
  uploaded,
  type WireImage,
} from "../support/images.ts";

const START = Date.parse("2025-03-01T12:00:00.000Z");
let clock = START;
let emulator: TestEmulator;

beforeEach(async () => {
  clock = START;
  emulator = await startTestEmulator({ now: () => clock });
});
afterEach(() => emulator.close());

const path = (id: string) => `/v1/${encodeURIComponent(id)}`;

describe("POST /v1 upload", () => {
  it("stores a file and answers the image in the success envelope", async () => {
    const bytes = samplePng(6, 4, 7);
    const answer = await upload(
      emulator,
      { metadata: '{"album":"trip","n":1}', creator: "alice", requireSignedURLs: "true" },
      pngPart("beach.png", bytes),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ success: true, errors: [], messages: [] });
    const image = answer.body.result;
    expect(image.id).toMatch(UUID);
    expect(image).toEqual({
      id: image.id,
      filename: "beach.png",
      creator: "alice",
      meta: { album: "trip", n: 1 },
      requireSignedURLs: true,
      uploaded: "2025-03-01T12:00:00.000Z",
      variants: [`${emulator.origin}/cdn/${emulator.accountHash}/${image.id}/public`],
    });

    expect((await emulator.api("GET", path(image.id))).body.result).toEqual(image);
    const blob = await blobOf(emulator, image.id);
    expect(blob.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytes);
    expect(await accountView(emulator)).toEqual({ images: [image], current: 1 });
  });

  it("defaults to no creator, empty metadata and public access; an empty creator means none", async () => {
    const plain = await uploaded(emulator);
    expect(plain).toMatchObject({ creator: null, meta: {}, requireSignedURLs: false });
    expect((await uploaded(emulator, { creator: "" })).creator).toBeNull();
  });

  it("serves the blob with the detected format's content type", async () => {
    const bytes = sampleJpeg(8, 8);
    const image = await uploaded(emulator, {}, { bytes, name: "x.bin", type: "application/octet-stream" });
    const blob = await blobOf(emulator, image.id);
    expect(blob.status).toBe(200);
    expect(blob.headers.get("content-type")).toBe("image/jpeg");
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytes);
  });

  it("accepts custom ids with sub-paths, reached URL-encoded in API paths", async () => {
    const id = "products/shoes/red 1";
    const image = await uploaded(emulator, { id });
    expect(image.id).toBe(id);
    expect(image.variants).toEqual([`${emulator.origin}/cdn/${emulator.accountHash}/products/shoes/red%201/public`]);
    expect((await emulator.api<WireImage>("GET", path(id))).body.result.id).toBe(id);
    expect((await blobOf(emulator, id)).status).toBe(200);
    expect((await uploaded(emulator, { id: "x".repeat(1024) })).id).toHaveLength(1024);
  });

  it.each([
    ["an empty id", ""],
    ["a leading slash", "/a/b"],
    ["a trailing slash", "a/b/"],
    ["an empty sub-path", "a//b"],
    ["a UUID", "0f8e2a52-7c1b-4c5e-9a3d-1b2c3d4e5f60"],
    ["an upper-case UUID", "0F8E2A52-7C1B-4C5E-9A3D-1B2C3D4E5F60"],
    ["1025 characters", "y".repeat(1025)],
  ])("refuses a custom id with %s", async (_case, id) => {
    await expectRefused(emulator, () => upload(emulator, { id }), 400, 5400, /Custom id/);
  });

  it("refuses a custom id already in use with 409 and keeps the first image", async () => {
    const first = await uploaded(emulator, { id: "logo", metadata: '{"v":1}' });
    await expectRefused(emulator, () => upload(emulator, { id: "logo", metadata: '{"v":2}' }), 409, 5409);
    expect((await emulator.api("GET", path("logo"))).body.result).toEqual(first);
  });

  it.each([
    ["metadata that is not JSON", { metadata: "{nope" }],
    ["metadata that is an array", { metadata: "[1,2]" }],
    ["metadata that is a number", { metadata: "5" }],
    ["metadata over 1024 bytes (counted in UTF-8)", { metadata: JSON.stringify({ k: "é".repeat(509) }) }],
    ["a creator over 1024 characters", { creator: "c".repeat(1025) }],
    ["requireSignedURLs that is not a boolean", { requireSignedURLs: "yes" }],
    ["requireSignedURLs with a custom id", { requireSignedURLs: "true", id: "private/one" }],
  ])("refuses %s with 400", async (_case, fields) => {
    await expectRefused(emulator, () => upload(emulator, fields), 400, 5400);
  });

  it("accepts metadata of exactly 1024 bytes and a creator of 1024 characters", async () => {
    const metadata = JSON.stringify({ k: "m".repeat(1016) });
    expect(Buffer.byteLength(metadata)).toBe(1024);
    const image = await uploaded(emulator, { metadata, creator: "c".repeat(1024) });
    expect(image.meta).toEqual(JSON.parse(metadata));
  });
});

describe("GET, PATCH, DELETE /v1/{image_id} and blob", () => {
  it("answers 404/5404 for an unknown image on every image route", async () => {
    for (const [method, route] of [
      ["GET", path("missing")],
      ["DELETE", path("missing")],
      ["GET", `${path("missing")}/blob`],
    ] as const) {
      await expectRefused(emulator, () => emulator.api(method, route), 404, 5404);
    }
    await expectRefused(emulator, () => emulator.api("PATCH", path("missing"), { json: {} }), 404, 5404);
  });

  it("updates only the given fields; metadata replaces the whole object", async () => {
    const image = await uploaded(emulator, { metadata: '{"a":1,"b":2}', creator: "alice" });
    const first = await emulator.api<WireImage>("PATCH", path(image.id), { json: { metadata: { c: 3 } } });
    expect(first.status).toBe(200);
    expect(first.body.result).toEqual({ ...image, meta: { c: 3 } });

    const second = await emulator.api<WireImage>("PATCH", path(image.id), {
      json: { creator: "bob", requireSignedURLs: true },
    });
    expect(second.body.result).toEqual({ ...image, meta: { c: 3 }, creator: "bob", requireSignedURLs: true });
    expect((await emulator.api<WireImage>("PATCH", path(image.id), { json: {} })).body.result).toEqual(
      second.body.result,
    );
    const cleared = await emulator.api<WireImage>("PATCH", path(image.id), { json: { creator: "" } });
    expect(cleared.body.result.creator).toBeNull();
    expect((await emulator.api("GET", path(image.id))).body.result).toEqual(cleared.body.result);
  });

  it.each([
    ["a body that is not JSON", "{"],
    ["a JSON array", [1]],
    ["metadata that is not an object", { metadata: "a=1" }],
    ["metadata that is an array", { metadata: [1] }],
    ["metadata over 1024 bytes", { metadata: { k: "z".repeat(1100) } }],
    ["a creator that is not a string", { creator: 42 }],
    ["a creator over 1024 characters", { creator: "c".repeat(1025) }],
    ["requireSignedURLs that is not a boolean", { requireSignedURLs: "true" }],
  ])("refuses an update with %s and leaves the image as it was", async (_case, body) => {
    const image = await uploaded(emulator, { metadata: '{"keep":true}' });
    const send = () =>
      typeof body === "string"
        ? rawApi(emulator, "PATCH", path(image.id), body, { "content-type": "application/json" })
        : emulator.api("PATCH", path(image.id), { json: body });
    await expectRefused(emulator, send, 400, 5400);
    expect((await emulator.api("GET", path(image.id))).body.result).toEqual(image);
  });

  it("refuses to make a custom-id image private", async () => {
    const image = await uploaded(emulator, { id: "public/only" });
    await expectRefused(
      emulator,
      () => emulator.api("PATCH", path(image.id), { json: { requireSignedURLs: true } }),
      400,
      5400,
      /custom id/,
    );
    expect((await emulator.api<WireImage>("GET", path(image.id))).body.result.requireSignedURLs).toBe(false);
  });

  it("deletes an image: {} result, then gone from details, blob, listing and stats", async () => {
    const kept = await uploaded(emulator, { id: "kept" });
    const doomed = await uploaded(emulator, { id: "folder/doomed" });
    const answer = await emulator.api("DELETE", path(doomed.id));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ result: {}, success: true, errors: [], messages: [] });
    expect((await emulator.api("GET", path(doomed.id))).status).toBe(404);
    expect((await blobOf(emulator, doomed.id)).status).toBe(404);
    expect(await accountView(emulator)).toEqual({ images: [kept], current: 1 });
    await expectRefused(emulator, () => emulator.api("DELETE", path(doomed.id)), 404, 5404);
  });
});

describe("GET /v1 list (deprecated)", () => {
  async function seedCreators(count: number): Promise<WireImage[]> {
    const images: WireImage[] = [];
    for (let i = 0; i < count; i++) {
      clock += 1000;
      const creator = ["ann", "ben", ""][i % 3] as string;
      images.push(await uploaded(emulator, { creator, metadata: JSON.stringify({ i }) }));
    }
    return images;
  }

  const list = async (query: string) => {
    const answer = await emulator.api<{ images: WireImage[] }>("GET", `/v1${query}`);
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body.result)).toEqual(["images"]);
    return answer.body.result.images;
  };

  it("pages newest first with page and per_page, and leaves drafts out", async () => {
    const images = await seedCreators(25);
    expect((await emulator.api("POST", "/v2/direct_upload", { form: new FormData() })).status).toBe(200);
    const newestFirst = [...images].reverse();
    expect(await list("?per_page=10")).toEqual(newestFirst.slice(0, 10));
    expect(await list("?per_page=10&page=2")).toEqual(newestFirst.slice(10, 20));
    expect(await list("?per_page=10&page=3")).toEqual(newestFirst.slice(20));
    expect(await list("?per_page=10&page=4")).toEqual([]);
    expect(await list("")).toEqual(newestFirst);
  });

  it("filters by creator; an empty creator selects images without one", async () => {
    const images = await seedCreators(12);
    const byCreator = (creator: string | null) => images.filter((i) => i.creator === creator).reverse();
    expect(await list("?creator=ann")).toEqual(byCreator("ann"));
    expect(await list("?creator=")).toEqual(byCreator(null));
    expect(await list("?creator=ben&per_page=10&page=1")).toEqual(byCreator("ben"));
    expect(await list("?creator=nobody")).toEqual([]);
  });

  it.each(["per_page=9", "per_page=10001", "per_page=abc", "per_page=12.5", "page=0", "page=-1", "page="])(
    "refuses %s with 400",
    async (query) => {
      await uploaded(emulator);
      await expectRefused(emulator, () => emulator.api("GET", `/v1?${query}`), 400, 5400);
    },
  );
});
