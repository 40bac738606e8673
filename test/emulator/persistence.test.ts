import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sampleGif, samplePng } from "../../src/emulator/samples/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { accountView, blobOf, imageForm, pngPart, uploaded, type WireImage } from "../support/images.ts";

let dataDir: string;
let emulator: TestEmulator | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "images-persistence-"));
});
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

const statePath = () => join(dataDir, "state.json");
const blobFiles = () => readdirSync(join(dataDir, "blobs")).sort();
const details = (target: TestEmulator, id: string) => target.api<WireImage>("GET", `/v1/${encodeURIComponent(id)}`);

async function restart(): Promise<TestEmulator> {
  await emulator?.close();
  emulator = await startTestEmulator({ dataDir });
  return emulator;
}

describe("--data-dir persistence", () => {
  it("keeps images, metadata, drafts and the exact bytes across a restart", async () => {
    const first = await restart();
    const pngBytes = samplePng(9, 7, 4);
    const gifBytes = sampleGif(5, 5, 2);
    const png = await uploaded(
      first,
      { id: "kept/one", metadata: '{"tag":{"deep":[1,2]}}', creator: "ann" },
      pngPart("one.png", pngBytes),
    );
    const gif = await uploaded(first, {}, { bytes: gifBytes, name: "two.gif" });
    const gone = await uploaded(first);
    expect((await first.api("DELETE", `/v1/${gone.id}`)).status).toBe(200);
    const draft = await first.api<{ id: string; uploadURL: string }>("POST", "/v2/direct_upload", {
      form: imageForm({ metadata: '{"later":true}' }, null),
    });
    const before = await accountView(first);

    const second = await restart();
    expect(await accountView(second)).toEqual({
      ...before,
      images: before.images.map((image) => withOrigin(image, second)),
    });
    expect((await details(second, png.id)).body.result).toMatchObject({
      meta: { tag: { deep: [1, 2] } },
      creator: "ann",
    });
    expect(new Uint8Array(await (await blobOf(second, png.id)).arrayBuffer())).toEqual(pngBytes);
    expect(new Uint8Array(await (await blobOf(second, gif.id)).arrayBuffer())).toEqual(gifBytes);
    expect((await details(second, gone.id)).status).toBe(404);
    expect(blobFiles()).toHaveLength(2);

    // The draft survived too, and its upload URL (on the new port) still works once.
    const pending = await details(second, draft.body.result.id);
    expect(pending.body.result).toMatchObject({ draft: true, meta: { later: true } });
    const uploadUrl = `${second.origin}/upload/${second.accountHash}/${draft.body.result.id}`;
    expect((await fetch(uploadUrl, { method: "POST", body: imageForm() })).status).toBe(200);
    const third = await restart();
    const completed = await details(third, draft.body.result.id);
    expect(completed.body.result).toMatchObject({ filename: "photo.png", meta: { later: true } });
    expect(completed.body.result.draft).toBeUndefined();
  });
});

/** Delivery URLs carry the origin, which changes with the port on restart. */
function withOrigin(image: WireImage, target: TestEmulator): WireImage {
  return { ...image, variants: image.variants.map((url) => `${target.origin}${new URL(url).pathname}`) };
}

describe("a write that cannot be persisted", () => {
  it("is refused with 500 and leaves memory and the blob folder as they were", async () => {
    const target = await restart();
    const image = await uploaded(target, { metadata: '{"v":1}' });
    const saved = readFileSync(statePath());
    const blobsBefore = blobFiles();
    const viewBefore = await accountView(target);

    // A directory where the state file goes makes the atomic rename fail, even for root.
    renameSync(statePath(), `${statePath()}.aside`);
    mkdirSync(statePath());
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const failedUpload = await target.api("POST", "/v1", { form: imageForm() });
      const failedPatch = await target.api("PATCH", `/v1/${image.id}`, { json: { metadata: { v: 2 } } });
      const failedDelete = await target.api("DELETE", `/v1/${image.id}`);
      for (const answer of [failedUpload, failedPatch, failedDelete]) {
        expect(answer.status).toBe(500);
        expect(answer.body.success).toBe(false);
      }
    } finally {
      quiet.mockRestore();
    }
    expect(await accountView(target)).toEqual(viewBefore);
    expect((await details(target, image.id)).body.result.meta).toEqual({ v: 1 });
    // The failed upload's bytes were removed, the kept image's bytes were not deleted.
    expect(blobFiles()).toEqual(blobsBefore);
    expect(readFileSync(`${statePath()}.aside`)).toEqual(saved);

    // Put the file back: the restarted emulator finds exactly the state before the failures.
    rmSync(statePath(), { recursive: true });
    renameSync(`${statePath()}.aside`, statePath());
    const restarted = await restart();
    expect(await accountView(restarted)).toEqual({
      ...viewBefore,
      images: viewBefore.images.map((i) => withOrigin(i, restarted)),
    });
  });

  it.skipIf(!immutableFilesSupported())(
    "leaves the state file byte for byte as it was when the file cannot be replaced",
    async () => {
      const target = await restart();
      const image = await uploaded(target, { metadata: '{"v":1}' });
      const saved = readFileSync(statePath());
      execFileSync("chattr", ["+i", statePath()]);
      const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
      try {
        const failed = await target.api("PATCH", `/v1/${image.id}`, { json: { metadata: { v: 2 } } });
        expect(failed.status).toBe(500);
        expect(readFileSync(statePath())).toEqual(saved);
        expect((await details(target, image.id)).body.result.meta).toEqual({ v: 1 });
      } finally {
        quiet.mockRestore();
        execFileSync("chattr", ["-i", statePath()]);
      }
      const retried = await target.api<WireImage>("PATCH", `/v1/${image.id}`, { json: { metadata: { v: 2 } } });
      expect(retried.body.result.meta).toEqual({ v: 2 });
      expect(JSON.parse(readFileSync(statePath(), "utf8")).images[0].meta).toEqual({ v: 2 });
    },
  );
});

/** `chattr +i` needs root and a file system that supports it (ext4, xfs...); skipped elsewhere. */
function immutableFilesSupported(): boolean {
  const probeDir = mkdtempSync(join(tmpdir(), "chattr-probe-"));
  const probe = join(probeDir, "probe");
  writeFileSync(probe, "x");
  try {
    execFileSync("chattr", ["+i", probe], { stdio: "ignore" });
    execFileSync("chattr", ["-i", probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}
