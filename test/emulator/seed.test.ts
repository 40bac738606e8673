import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectImage } from "../../src/emulator/formats/index.ts";
import { seedSnapshot } from "../../src/emulator/seed.ts";
import { type ImageRecord, PUBLIC_VARIANT, type Snapshot } from "../../src/emulator/state.ts";
import { MemoryBlobStore } from "../../src/emulator/storage.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

const NOW = Date.parse("2025-06-15T12:00:00Z");
const DAY = 24 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const EXTENSION = { png: "png", jpeg: "jpg", gif: "gif", webp: "webp", svg: "svg" } as Record<string, string>;

async function seeded(): Promise<{ snapshot: Snapshot; blobs: MemoryBlobStore }> {
  const blobs = new MemoryBlobStore();
  return { snapshot: await seedSnapshot(blobs, () => NOW), blobs };
}

function leaves(value: unknown, path = "", depth = 0): { path: string; value: unknown; depth: number }[] {
  if (value === null || typeof value !== "object") return [{ path, value, depth }];
  return Object.entries(value).flatMap(([key, inner]) => leaves(inner, path ? `${path}.${key}` : key, depth + 1));
}

describe("seedSnapshot", () => {
  it("holds 36 images in upload order, spread over the 30 days before now", async () => {
    const { snapshot } = await seeded();
    expect(snapshot.images).toHaveLength(36);
    expect(snapshot.images.map((image) => image.seq)).toEqual(Array.from({ length: 36 }, (_, i) => i + 1));
    expect(snapshot.nextSeq).toBe(37);
    const times = snapshot.images.map((image) => Date.parse(image.uploaded));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] ?? 0);
    expect(times[0]).toBeGreaterThanOrEqual(NOW - 30 * DAY);
    expect(times.at(-1)).toBeLessThan(NOW);
    expect(times.at(-1)).toBeGreaterThan(NOW - 2 * DAY);
    expect(snapshot.images.every((image) => image.draft === undefined)).toBe(true);
  });

  it("stores real image bytes that match each record's format, type, size and file name", async () => {
    const { snapshot, blobs } = await seeded();
    for (const image of snapshot.images) {
      const file = image.file;
      if (!file) throw new Error(`${image.id} has no file`);
      const bytes = await blobs.get(file.blobKey);
      if (!bytes) throw new Error(`${image.id}: blob ${file.blobKey} missing`);
      expect(detectImage(bytes)).toEqual({
        format: file.format,
        contentType: file.contentType,
        width: file.width,
        height: file.height,
      });
      expect(file.size).toBe(bytes.length);
      expect(image.filename.endsWith(`.${EXTENSION[file.format]}`)).toBe(true);
      expect(Math.max(file.width, file.height)).toBeLessThanOrEqual(640);
    }
    const formats = new Set(snapshot.images.map((image) => image.file?.format));
    expect([...formats].sort()).toEqual(["gif", "jpeg", "png", "svg", "webp"]);
  });

  it("has several creators, some images without one, and private images only under generated ids", async () => {
    const { snapshot } = await seeded();
    const creators = new Set(snapshot.images.map((image) => image.creator));
    expect(creators).toEqual(new Set(["user-ada", "user-grace", "user-linus", "studio-bot", null]));
    const privateImages = snapshot.images.filter((image) => image.requireSignedURLs);
    expect(privateImages).toHaveLength(5);
    // The real service refuses requireSignedURLs on images with a custom id.
    for (const image of privateImages) expect(image.id).toMatch(UUID);
  });

  it("has custom ids, some with / sub-paths, none shaped like a UUID or with a leading or trailing /", async () => {
    const { snapshot } = await seeded();
    const custom = snapshot.images.map((image) => image.id).filter((id) => !UUID.test(id));
    expect(custom.length).toBeGreaterThanOrEqual(5);
    expect(custom).toContain("products/chair-01");
    expect(custom.filter((id) => id.includes("/")).length).toBeGreaterThanOrEqual(4);
    for (const id of custom) expect(id).toMatch(/^[^/].*[^/]$/);
    expect(new Set(snapshot.images.map((image) => image.id)).size).toBe(36);
  });

  it("keeps metadata within 1024 bytes and 5 levels, with values for every kind of v2 filter", async () => {
    const { snapshot } = await seeded();
    const all = snapshot.images.flatMap((image: ImageRecord) => leaves(image.meta));
    for (const image of snapshot.images) {
      expect(Buffer.byteLength(JSON.stringify(image.meta))).toBeLessThanOrEqual(1024);
    }
    expect(Math.max(...all.map((leaf) => leaf.depth))).toBeGreaterThanOrEqual(3);
    expect(Math.max(...all.map((leaf) => leaf.depth))).toBeLessThanOrEqual(5);
    const values = (path: string) => all.filter((leaf) => leaf.path === path).map((leaf) => leaf.value);
    // eq/in on strings, the range operators on integers and decimals, eq:boolean both ways.
    expect(new Set(values("tags")).size).toBeGreaterThanOrEqual(5);
    expect(new Set(values("rating"))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(values("price").some((price) => !Number.isInteger(price))).toBe(true);
    expect(new Set(values("published"))).toEqual(new Set([true, false]));
    // The same field as a number and as text, so eq:number and eq:string select differently.
    expect(values("album.year")).toContain(2023);
    expect(values("album.year")).toContain("2023");
    expect(snapshot.images.some((image) => Object.keys(image.meta).length === 0)).toBe(true);
  });

  it("defines public, thumbnail, hero and avatar variants and a random default signing key", async () => {
    const [first, second] = [await seeded(), await seeded()];
    expect(first.snapshot.variants).toEqual([
      PUBLIC_VARIANT,
      {
        id: "thumbnail",
        options: { fit: "cover", metadata: "none", width: 200, height: 200 },
        neverRequireSignedURLs: false,
      },
      {
        id: "hero",
        options: { fit: "scale-down", metadata: "keep", width: 1600, height: 900 },
        neverRequireSignedURLs: false,
      },
      {
        id: "avatar",
        options: { fit: "crop", metadata: "copyright", width: 96, height: 96 },
        neverRequireSignedURLs: true,
      },
    ]);
    expect(first.snapshot.keys.map((key) => key.name)).toEqual(["default"]);
    expect(first.snapshot.keys[0]?.value).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(first.snapshot.keys[0]?.value).not.toBe(second.snapshot.keys[0]?.value);
  });

  it("is reproducible: same ids, times and bytes for the same clock", async () => {
    const [first, second] = [await seeded(), await seeded()];
    const fingerprint = async ({ snapshot, blobs }: { snapshot: Snapshot; blobs: MemoryBlobStore }) =>
      Promise.all(
        snapshot.images.map(async (image) => ({
          id: image.id,
          uploaded: image.uploaded,
          bytes: Buffer.from((await blobs.get(image.file?.blobKey ?? "")) ?? []).toString("base64"),
        })),
      );
    expect(await fingerprint(first)).toEqual(await fingerprint(second));
  });

  it("returns records the caller may change without affecting the next seed", async () => {
    const albumName = (snapshot: Snapshot) =>
      leaves(snapshot.images[0]?.meta).find((leaf) => leaf.path === "album.name");
    const { snapshot } = await seeded();
    Object.assign(snapshot.images[0]?.meta.album ?? {}, { name: "Changed" });
    snapshot.variants[1] = { ...PUBLIC_VARIANT, id: "changed" };
    expect(albumName(snapshot)?.value).toBe("Changed");
    const again = await seeded();
    expect(albumName(again.snapshot)?.value).toBe("Coast");
    expect(again.snapshot.variants[1]?.id).toBe("thumbnail");
  });
});

interface WireImage {
  id: string;
  filename: string;
  creator: string | null;
  meta: Record<string, unknown>;
  requireSignedURLs: boolean;
  uploaded: string;
  variants: string[];
}

describe("an emulator started with seed: true", () => {
  let emulator: TestEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator({ seed: true, now: () => NOW });
  });
  afterAll(() => emulator.close());

  it("lists the seeded images newest first, as the records describe them, with a URL per variant", async () => {
    const expected = (await seeded()).snapshot.images.toReversed();
    const answer = await emulator.api<{ images: WireImage[] }>("GET", "/v2?per_page=100");
    expect(answer.status).toBe(200);
    const images = answer.body.result.images;
    expect(images.map((image) => [image.id, image.filename, image.creator, image.uploaded])).toEqual(
      expected.map((image) => [image.id, image.filename, image.creator, image.uploaded]),
    );
    expect(images.map((image) => image.meta)).toEqual(expected.map((image) => image.meta));
    expect(images.filter((image) => image.requireSignedURLs)).toHaveLength(5);
    for (const image of images) {
      expect(image.variants.map((url) => url.slice(url.lastIndexOf("/") + 1)).sort()).toEqual([
        "avatar",
        "hero",
        "public",
        "thumbnail",
      ]);
    }
  });

  it("serves every original as the image its record describes", async () => {
    const { snapshot } = await seeded();
    for (const image of snapshot.images) {
      const response = await fetch(
        `${emulator.baseUrl}/accounts/${emulator.accountId}/images/v1/${encodeURIComponent(image.id)}/blob`,
        { headers: { authorization: `Bearer ${emulator.token}` } },
      );
      expect(response.status, image.id).toBe(200);
      const detected = detectImage(new Uint8Array(await response.arrayBuffer()));
      expect(detected).toMatchObject({
        format: image.file?.format,
        width: image.file?.width,
        height: image.file?.height,
      });
      expect(response.headers.get("content-type")).toBe(detected?.contentType);
    }
  });

  it("reports 36 images, the four variants and the default signing key", async () => {
    const stats = await emulator.api<{ count: { current: number } }>("GET", "/v1/stats");
    expect(stats.body.result.count.current).toBe(36);
    const variants = await emulator.api<{ variants: Record<string, unknown> }>("GET", "/v1/variants");
    expect(Object.keys(variants.body.result.variants).sort()).toEqual(["avatar", "hero", "public", "thumbnail"]);
    const keys = await emulator.api<{ keys: { name: string }[] }>("GET", "/v1/keys");
    expect(keys.body.result.keys.map((key) => key.name)).toEqual(["default"]);
  });
});
