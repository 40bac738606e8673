import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sampleGif, sampleJpeg, samplePng } from "../../src/emulator/samples/index.ts";
import { signUrl } from "../../src/emulator/signing.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

interface WireImage {
  id: string;
  variants: string[];
  requireSignedURLs: boolean;
}

const START = Date.parse("2030-01-01T00:00:00Z");
let clock = START;
let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator({ now: () => clock });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  clock = START;
  await emulator.reset({ data: true });
});

async function upload(bytes: Uint8Array, fields: Record<string, string> = {}, type = "image/png"): Promise<WireImage> {
  const form = new FormData();
  form.set("file", new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), "sample");
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  const answer = await emulator.api<WireImage>("POST", "/v1", { form });
  expect(answer.status).toBe(200);
  return answer.body.result;
}

const publicUrl = (image: WireImage) => image.variants.find((url) => url.endsWith("/public")) as string;
const nowSeconds = () => Math.floor(clock / 1000);

async function keyValue(name = "default"): Promise<string> {
  const answer = await emulator.api<{ keys: { name: string; value: string }[] }>("GET", "/v1/keys");
  return answer.body.result.keys.find((k) => k.name === name)?.value as string;
}

describe("delivery of public images", () => {
  it("serves the uploaded bytes unchanged with their content type, length and caching", async () => {
    const bytes = samplePng(20, 10, 7);
    const image = await upload(bytes);
    const response = await fetch(publicUrl(image));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("content-length")).toBe(String(bytes.byteLength));
    expect(response.headers.get("cache-control")).toMatch(/^public, max-age=\d+$/);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it.each([
    ["image/jpeg", sampleJpeg(12, 12, 1)],
    ["image/gif", sampleGif(12, 12, 1)],
  ])("serves %s with its own content type", async (type, bytes) => {
    const image = await upload(bytes, {}, type);
    const response = await fetch(publicUrl(image));
    expect(response.headers.get("content-type")).toBe(type);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it("serves every variant of the image, and HEAD without a body", async () => {
    await emulator.api("POST", "/v1/variants", {
      json: { id: "small", options: { fit: "cover", metadata: "none", width: 10, height: 10 } },
    });
    const image = await upload(samplePng(8, 8));
    expect(image.variants).toHaveLength(2);
    for (const url of image.variants) expect((await fetch(url)).status).toBe(200);
    const head = await fetch(publicUrl(image), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("image/png");
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it("serves custom ids with sub-paths and a literal % from the URL the API returned", async () => {
    const bytes = samplePng(6, 6, 3);
    const image = await upload(bytes, { id: "albums/2024/100%-real" });
    const url = publicUrl(image);
    expect(url).toBe(`${emulator.origin}/cdn/${emulator.accountHash}/albums/2024/100%25-real/public`);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it.each([
    ["an unknown account hash", (url: string) => url.replace(emulator.accountHash, "AAAAAAAAAAAAAAAAAAAAAA")],
    ["an unknown image", (url: string) => url.replace(/\/[^/]+\/public$/, "/no-such-image/public")],
    ["an unknown variant", (url: string) => url.replace(/\/public$/, "/nope")],
    ["no variant segment", (url: string) => url.replace(/\/[^/]+\/public$/, "/public")],
    ["a malformed escape", (url: string) => url.replace(/\/public$/, "/%E0%A4%A")],
  ])("answers 404 in plain text for %s", async (_case, mutate) => {
    const image = await upload(samplePng(4, 4));
    const response = await fetch(mutate(publicUrl(image)));
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(/^404 /);
  });

  it("answers 404 for a draft and for a deleted image", async () => {
    const draft = await emulator.api<{ id: string }>("POST", "/v2/direct_upload", { form: new FormData() });
    const draftUrl = `${emulator.origin}/cdn/${emulator.accountHash}/${draft.body.result.id}/public`;
    expect((await fetch(draftUrl)).status).toBe(404);

    const image = await upload(samplePng(4, 4));
    await emulator.api("DELETE", `/v1/${image.id}`);
    expect((await fetch(publicUrl(image))).status).toBe(404);
  });

  it("needs no credentials and is counted under the delivery route", async () => {
    const image = await upload(samplePng(4, 4));
    await emulator.reset();
    await fetch(publicUrl(image));
    await fetch(publicUrl(image));
    expect(await emulator.counts()).toEqual({ "GET /cdn/{account_hash}/{path+}": 2 });
  });
});

describe("delivery of images that require signed URLs", () => {
  it("signs like the documented algorithm: HMAC-SHA256 of path?query, lowercase hex", () => {
    const signed = new URL(signUrl("http://h/cdn/hash/id/public?width=1", "secret", 1_700_000_000));
    const expected = createHmac("sha256", "secret").update("/cdn/hash/id/public?width=1&exp=1700000000").digest("hex");
    expect(signed.searchParams.get("sig")).toBe(expected);
    expect(signed.search).toBe(`?width=1&exp=1700000000&sig=${expected}`);
  });

  it("refuses unsigned requests with 403 and serves a valid signature", async () => {
    const bytes = samplePng(9, 9, 9);
    const image = await upload(bytes, { requireSignedURLs: "true" });
    expect(image.requireSignedURLs).toBe(true);
    const unsigned = await fetch(publicUrl(image));
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get("content-type")).toMatch(/^text\/plain/);

    const signed = await fetch(signUrl(publicUrl(image), await keyValue(), nowSeconds() + 600));
    expect(signed.status).toBe(200);
    expect(signed.headers.get("cache-control")).toBe("private, max-age=600");
    expect(new Uint8Array(await signed.arrayBuffer())).toEqual(bytes);
  });

  it("refuses a signed URL once it has expired", async () => {
    const image = await upload(samplePng(4, 4), { requireSignedURLs: "true" });
    const url = signUrl(publicUrl(image), await keyValue(), nowSeconds() + 60);
    expect((await fetch(url)).status).toBe(200);
    clock += 60_000;
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/expired/);
    const alreadyExpired = signUrl(publicUrl(image), await keyValue(), nowSeconds() - 1);
    expect((await fetch(alreadyExpired)).status).toBe(403);
  });

  it.each([
    ["a changed signature", (url: URL) => url.searchParams.set("sig", flipLastHex(url.searchParams.get("sig") ?? ""))],
    ["a later exp", (url: URL) => url.searchParams.set("exp", String(Number(url.searchParams.get("exp")) + 1))],
    ["an added parameter", (url: URL) => url.searchParams.append("width", "100")],
    [
      "an uppercase signature",
      (url: URL) => url.searchParams.set("sig", (url.searchParams.get("sig") ?? "").toUpperCase()),
    ],
    ["no exp", (url: URL) => url.searchParams.delete("exp")],
    ["no sig", (url: URL) => url.searchParams.delete("sig")],
    ["a non-numeric exp", (url: URL) => url.searchParams.set("exp", "soon")],
  ])("refuses a tampered URL (%s) with 403", async (_case, tamper) => {
    const image = await upload(samplePng(4, 4), { requireSignedURLs: "true" });
    const url = new URL(signUrl(publicUrl(image), await keyValue(), nowSeconds() + 600));
    tamper(url);
    expect((await fetch(url)).status).toBe(403);
  });

  it("covers other query parameters in their order", async () => {
    const image = await upload(samplePng(4, 4), { requireSignedURLs: "true" });
    const url = new URL(signUrl(`${publicUrl(image)}?a=1&b=2`, await keyValue(), nowSeconds() + 600));
    expect((await fetch(url)).status).toBe(200);
    const reordered = new URL(url);
    reordered.search = `?b=2&a=1&exp=${url.searchParams.get("exp")}&sig=${url.searchParams.get("sig")}`;
    expect((await fetch(reordered)).status).toBe(403);
  });

  it("accepts a signature by any current key and refuses one by a deleted or unknown key", async () => {
    const image = await upload(samplePng(4, 4), { requireSignedURLs: "true" });
    await emulator.api("PUT", "/v1/keys/second");
    const exp = nowSeconds() + 600;
    const bySecond = signUrl(publicUrl(image), await keyValue("second"), exp);
    expect((await fetch(signUrl(publicUrl(image), await keyValue("default"), exp))).status).toBe(200);
    expect((await fetch(bySecond)).status).toBe(200);
    expect((await fetch(signUrl(publicUrl(image), "not-a-key-of-this-account", exp))).status).toBe(403);

    await emulator.api("DELETE", "/v1/keys/second");
    expect((await fetch(bySecond)).status).toBe(403);
  });

  it("serves a variant with neverRequireSignedURLs without a signature", async () => {
    await emulator.api("POST", "/v1/variants", {
      json: {
        id: "open",
        options: { fit: "cover", metadata: "none", width: 50, height: 50 },
        neverRequireSignedURLs: true,
      },
    });
    const bytes = samplePng(5, 5, 5);
    const image = await upload(bytes, { requireSignedURLs: "true" });
    const openUrl = image.variants.find((url) => url.endsWith("/open")) as string;
    const response = await fetch(openUrl);
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
    expect((await fetch(publicUrl(image))).status).toBe(403);
  });

  it("serves a public image without checking a signature that happens to be present", async () => {
    const image = await upload(samplePng(4, 4));
    expect((await fetch(`${publicUrl(image)}?exp=1&sig=bad`)).status).toBe(200);
  });
});

function flipLastHex(hex: string): string {
  return `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}`;
}
