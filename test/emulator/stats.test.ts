import { afterEach, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

interface Stats {
  count: { allowed: number; current: number };
}

let emulator: TestEmulator | undefined;
afterEach(() => emulator?.close());

async function stats(target: TestEmulator): Promise<Stats["count"]> {
  const answer = await target.api<Stats>("GET", "/v1/stats");
  expect(answer.status).toBe(200);
  return answer.body.result.count;
}

describe("usage statistics", () => {
  it("reports no images and the real allowance on a new account", async () => {
    emulator = await startTestEmulator();
    expect(await stats(emulator)).toEqual({ allowed: 100_000, current: 0 });
  });

  it("reports the configured allowance", async () => {
    emulator = await startTestEmulator({ limits: { allowedImages: 250 } });
    expect((await stats(emulator)).allowed).toBe(250);
  });

  it("counts uploaded images, not drafts, and follows deletes", async () => {
    emulator = await startTestEmulator();
    const form = new FormData();
    form.set("file", new Blob([samplePng(4, 4)], { type: "image/png" }), "one.png");
    expect((await emulator.api("POST", "/v1", { form })).status).toBe(200);
    const bulk = (await (await emulator.admin("POST", "/images", { count: 3 })).json()) as { ids: string[] };
    expect((await stats(emulator)).current).toBe(4);

    const draft = await emulator.api("POST", "/v2/direct_upload", { form: new FormData() });
    expect(draft.status).toBe(200);
    expect((await stats(emulator)).current).toBe(4);

    expect((await emulator.api("DELETE", `/v1/${bulk.ids[0]}`)).status).toBe(200);
    expect(await stats(emulator)).toEqual({ allowed: 100_000, current: 3 });
  });

  it("counts the seeded sample images", async () => {
    emulator = await startTestEmulator({ seed: true });
    const listed = await emulator.api<{ images: unknown[] }>("GET", "/v2?per_page=100");
    expect((await stats(emulator)).current).toBe(listed.body.result.images.length);
    expect((await stats(emulator)).current).toBeGreaterThan(0);
  });
});
