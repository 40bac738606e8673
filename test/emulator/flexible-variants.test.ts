import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { EmulatorOptions } from "../../src/emulator/index.ts";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { signUrl } from "../../src/emulator/signing.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { pngPart, uploaded, type WireImage } from "../support/images.ts";

let emulator: TestEmulator;
afterEach(() => emulator.close());

async function start(options: EmulatorOptions = {}): Promise<void> {
  emulator = await startTestEmulator(options);
}

const setFlexible = (body: unknown) =>
  emulator.api<{ flexible_variants: boolean }>("PATCH", "/v1/config", { json: body });
const deliver = (id: string, slot: string) => fetch(`${emulator.origin}/cdn/${emulator.accountHash}/${id}/${slot}`);

describe("PATCH /v1/config", () => {
  it("turns flexible variants on and off, answering the setting in the success envelope", async () => {
    await start();
    const image = await uploaded(emulator);
    expect((await deliver(image.id, "w=320")).status).toBe(404);

    const on = await setFlexible({ flexible_variants: true });
    expect(on.status).toBe(200);
    expect(on.body).toEqual({ result: { flexible_variants: true }, success: true, errors: [], messages: [] });
    expect((await deliver(image.id, "w=320")).status).toBe(200);

    expect((await setFlexible({ flexible_variants: false })).body.result).toEqual({ flexible_variants: false });
    const off = await deliver(image.id, "w=320");
    expect(off.status).toBe(404);
    expect(await off.text()).toContain("flexible variants are off");
    expect(await emulator.counts()).toMatchObject({ "PATCH /accounts/{account_id}/images/v1/config": 2 });
  });

  it.each([
    ["no setting", {}],
    ["a setting that is not a boolean", { flexible_variants: "yes" }],
    ["an unknown setting", { flexible_variants: true, sharpening: true }],
  ])("refuses %s with 400", async (_case, body) => {
    await start();
    const answer = await setFlexible(body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ success: false, result: null, errors: [{ code: 5400 }] });
  });

  it("needs the API token, like every API call", async () => {
    await start();
    const answer = await emulator.api("PATCH", "/v1/config", { json: { flexible_variants: true }, anonymous: true });
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]?.code).toBe(9106);
  });
});

describe("start options", () => {
  it("are off on an empty emulator, on with seed, and set by flexibleVariants either way", async () => {
    await start({ seed: true });
    const seeded = (await emulator.api<{ images: WireImage[] }>("GET", "/v2")).body.result.images;
    const publicImage = seeded.find((image) => !image.requireSignedURLs) as WireImage;
    expect((await deliver(publicImage.id, "w=100,fit=cover")).status).toBe(200);
    await emulator.close();

    await start({ seed: true, flexibleVariants: false });
    expect((await deliver(publicImage.id, "w=100,fit=cover")).status).toBe(404);
    await emulator.close();

    await start({ flexibleVariants: true });
    const image = await uploaded(emulator);
    expect((await deliver(image.id, "w=100")).status).toBe(200);
  });

  it("keeps the setting in --data-dir, and an admin data reset restores the start setting", async () => {
    const dir = await mkdtemp(join(tmpdir(), "emulator-flexible-"));
    try {
      await start({ dataDir: dir });
      const image = await uploaded(emulator);
      await setFlexible({ flexible_variants: true });
      await emulator.close();

      await start({ dataDir: dir });
      expect((await deliver(image.id, "h=50")).status).toBe(200);
      await setFlexible({ flexible_variants: false });
      await emulator.reset({ data: true });
      expect((await deliver(image.id, "h=50")).status).toBe(200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("delivery of flexible variants", () => {
  it("serves the stored bytes for valid options, full names and abbreviations alike", async () => {
    await start({ flexibleVariants: true });
    const bytes = samplePng(8, 6, 3);
    const image = await uploaded(emulator, {}, pngPart("p.png", bytes));
    for (const slot of [
      "w=320,fit=cover",
      "width=320,height=200,fit=scale-down,quality=80,format=auto,dpr=2,gravity=auto",
      "h=10,q=high,f=webp,g=0.5x0.25,metadata=none,anim=false",
      "w=auto,sharpen=3,blur=50,rotate=90,flip=hv,brightness=1.2,contrast=0.8,gamma=1,saturation=0",
      "trim=10;20;10;0,background=rgba(0,0,0,0.5),compression=fast,onerror=redirect",
      "fit=squeeze,trim.width=100,trim.left=2,zoom=0.5,gravity=face",
      "background=%23ff0000",
    ]) {
      const response = await deliver(image.id, slot);
      expect(response.status, slot).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
    }
  });

  it.each([
    ["an unknown option", "w=320,wobble=3", 'Unknown option "wobble"'],
    ["a width that is not a number", "w=wide", 'Invalid value "wide" for option "width"'],
    ["a width of 0", "width=0", 'option "width"'],
    ["a fit Cloudflare does not know", "fit=stretch", 'option "fit"'],
    ["a quality over 100", "q=101", 'option "quality"'],
    ["an unknown format", "f=bmp", 'option "format"'],
    ["a dpr of 0", "dpr=0", 'option "dpr"'],
    ["gravity out of range", "gravity=1.5x0.5", 'option "gravity"'],
    ["a rotation of 45", "rotate=45", 'option "rotate"'],
    ["sharpen over 10", "sharpen=11", 'option "sharpen"'],
    ["an option without a value", "w=320,fit", '"fit" is not a name=value option'],
    ["an empty option", "w=320,,h=3", "is not a name=value option"],
    ["an option given twice", "w=320,width=640", 'Option "width" is given more than once'],
    ["a space", "w=320,%20h=3", "without spaces"],
  ])("refuses %s with 400 and the image service's error", async (_case, slot, message) => {
    await start({ flexibleVariants: true });
    const image = await uploaded(emulator);
    const response = await deliver(image.id, slot);
    expect(response.status).toBe(400);
    expect(response.headers.get("cf-resized")).toBe("err=9401");
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^ERROR 9401: /);
    expect(text).toContain(message);
  });

  it("refuses flexible variants on an image that requires signed URLs, even with a valid signature", async () => {
    await start({ flexibleVariants: true });
    const image = await uploaded(emulator, { requireSignedURLs: "true" });
    const keys = await emulator.api<{ keys: { value: string }[] }>("GET", "/v1/keys");
    const key = keys.body.result.keys[0]?.value as string;
    const url = `${emulator.origin}/cdn/${emulator.accountHash}/${image.id}/w=100`;
    for (const attempt of [url, signUrl(url, key, Math.floor(Date.now() / 1000) + 600)]) {
      const response = await fetch(attempt);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain("cannot be used with images that require signed URLs");
    }
    // Named variants of the same image still work with a signature.
    const named = await fetch(signUrl(image.variants[0] as string, key, Math.floor(Date.now() / 1000) + 600));
    expect(named.status).toBe(200);
  });

  it("still answers 404 for an unknown image or a named variant that does not exist", async () => {
    await start({ flexibleVariants: true });
    const image = await uploaded(emulator);
    expect((await deliver("no-such-image", "w=100")).status).toBe(404);
    const unknownVariant = await deliver(image.id, "thumbnail");
    expect(unknownVariant.status).toBe(404);
    expect(await unknownVariant.text()).toContain("Variant not found");
  });
});
