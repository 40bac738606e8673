import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import type { ApiAnswer } from "../support/emulator.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import {
  accountView,
  blobOf,
  expectRefused,
  imageForm,
  pngPart,
  rawApi,
  UUID,
  uploaded,
  type WireImage,
} from "../support/images.ts";

interface DirectUpload {
  id: string;
  uploadURL: string;
}

const START = Date.parse("2025-06-01T08:00:00.000Z");
const MINUTE = 60_000;
let clock = START;
let emulator: TestEmulator;

beforeEach(async () => {
  clock = START;
  emulator = await startTestEmulator({ now: () => clock });
});
afterEach(() => emulator.close());

const createV2 = (fields: Record<string, string> = {}) =>
  emulator.api<DirectUpload>("POST", "/v2/direct_upload", { form: imageForm(fields, null) });

async function draftV2(fields: Record<string, string> = {}): Promise<DirectUpload> {
  const answer = await createV2(fields);
  expect(answer.status, JSON.stringify(answer.body.errors)).toBe(200);
  return answer.body.result;
}

/** The creator's side: a credential-free multipart POST to the one-time URL. */
async function sendToUploadUrl(url: string, bytes: Uint8Array = samplePng(3, 3), name = "creator.png") {
  const response = await fetch(url, { method: "POST", body: imageForm({}, pngPart(name, bytes)) });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as ApiAnswer<WireImage>["body"],
  };
}

const details = (id: string) => emulator.api<WireImage>("GET", `/v1/${encodeURIComponent(id)}`);

describe("POST /v2/direct_upload", () => {
  it("creates a draft: visible by id with draft: true, not listed, not counted, no blob", async () => {
    const before = await accountView(emulator);
    const draft = await draftV2();
    expect(draft.id).toMatch(UUID);
    expect(draft.uploadURL).toBe(`${emulator.origin}/upload/${emulator.accountHash}/${draft.id}`);
    const shown = await details(draft.id);
    expect(shown.body.result).toEqual({
      id: draft.id,
      creator: null,
      meta: {},
      requireSignedURLs: false,
      uploaded: "2025-06-01T08:00:00.000Z",
      variants: [`${emulator.origin}/cdn/${emulator.accountHash}/${draft.id}/public`],
      draft: true,
    });
    expect(await accountView(emulator)).toEqual(before);
    expect((await emulator.api<{ images: WireImage[] }>("GET", "/v1")).body.result.images).toEqual([]);
    expect((await blobOf(emulator, draft.id)).status).toBe(404);
  });

  it("keeps the given id, creator, metadata and privacy through the upload", async () => {
    const custom = await draftV2({ id: "avatars/user 7", creator: "u7", metadata: '{"source":"app"}' });
    expect(custom.uploadURL).toBe(`${emulator.origin}/upload/${emulator.accountHash}/avatars/user%207`);
    const privateDraft = await draftV2({ requireSignedURLs: "true" });
    clock += MINUTE;
    const done = await sendToUploadUrl(custom.uploadURL, samplePng(3, 3), "me.png");
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ success: true, errors: [], messages: [] });
    expect(done.body.result).toEqual({
      id: "avatars/user 7",
      filename: "me.png",
      creator: "u7",
      meta: { source: "app" },
      requireSignedURLs: false,
      uploaded: new Date(START + MINUTE).toISOString(),
      variants: [`${emulator.origin}/cdn/${emulator.accountHash}/avatars/user%207/public`],
    });
    expect((await details("avatars/user 7")).body.result).toEqual(done.body.result);
    expect((await sendToUploadUrl(privateDraft.uploadURL)).body.result.requireSignedURLs).toBe(true);
  });

  it.each([
    ["an invalid custom id", { id: "/leading" }, 400, 5400],
    ["a UUID as custom id", { id: "4b0b7a3e-9a8e-4c55-8c4e-2f1a3b4c5d6e" }, 400, 5400],
    ["a private custom id", { id: "mine", requireSignedURLs: "true" }, 400, 5400],
    ["metadata that is not an object", { id: "probe", metadata: "[]" }, 400, 5400],
    ["metadata over 1024 bytes", { id: "probe", metadata: JSON.stringify({ k: "x".repeat(1030) }) }, 400, 5400],
    ["a creator over 1024 characters", { id: "probe", creator: "c".repeat(1025) }, 400, 5400],
    ["a non-boolean requireSignedURLs", { id: "probe", requireSignedURLs: "1" }, 400, 5400],
    ["an expiry that is not a date", { id: "probe", expiry: "tomorrow-ish" }, 400, 5400],
  ])("refuses %s and creates no draft", async (_case, fields, status, code) => {
    await expectRefused(emulator, () => createV2(fields), status, code);
    // Drafts are neither listed nor counted: only a lookup by id shows one was not made.
    expect((await details(fields.id)).status).toBe(404);
  });

  it("refuses a body that is not multipart with 415", async () => {
    await expectRefused(emulator, () => emulator.api("POST", "/v2/direct_upload", { json: {} }), 415, 5415);
  });

  it("refuses a custom id already held by an image or a live draft with 409", async () => {
    await uploaded(emulator, { id: "taken" });
    await draftV2({ id: "pending" });
    await expectRefused(emulator, () => createV2({ id: "taken" }), 409, 5409);
    await expectRefused(emulator, () => createV2({ id: "pending" }), 409, 5409);
  });
});

describe("expiry", () => {
  const at = (offsetMs: number) => new Date(START + offsetMs).toISOString();

  it("accepts from now + 2 minutes to now + 6 hours and refuses outside", async () => {
    await draftV2({ expiry: at(2 * MINUTE) });
    await draftV2({ expiry: at(360 * MINUTE) });
    await expectRefused(emulator, () => createV2({ expiry: at(2 * MINUTE - 1000) }), 400, 5400, /2 minutes/);
    await expectRefused(emulator, () => createV2({ expiry: at(360 * MINUTE + 1000) }), 400, 5400, /6 hours/);
    await expectRefused(emulator, () => createV2({ expiry: at(-MINUTE) }), 400, 5400);
  });

  it("defaults to 30 minutes; an expired URL answers 403 and the draft is gone for the API", async () => {
    const early = await draftV2();
    const late = await draftV2({ id: "late/one" });
    clock = START + 30 * MINUTE;
    expect((await sendToUploadUrl(early.uploadURL)).status).toBe(200);
    clock += 1;
    const refused = await sendToUploadUrl(late.uploadURL);
    expect(refused.status).toBe(403);
    expect(refused.body.errors[0]?.code).toBe(5403);
    expect((await details(late.id)).status).toBe(404);
    expect((await emulator.api("DELETE", "/v1/late%2Fone")).status).toBe(404);
    // An expired draft no longer holds its custom id.
    expect((await uploaded(emulator, { id: "late/one" })).filename).toBe("photo.png");
  });

  it("honours a custom expiry", async () => {
    const draft = await draftV2({ expiry: at(5 * MINUTE) });
    clock = START + 5 * MINUTE + 1000;
    expect((await sendToUploadUrl(draft.uploadURL)).status).toBe(403);
  });
});

describe("the one-time upload URL", () => {
  it("takes one upload: the second answers 409 and the first file stays", async () => {
    const draft = await draftV2();
    const first = samplePng(4, 4, 1);
    expect((await sendToUploadUrl(draft.uploadURL, first)).status).toBe(200);
    const second = await sendToUploadUrl(draft.uploadURL, samplePng(4, 4, 2));
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ success: false, result: null, errors: [{ code: 5409 }] });
    expect(new Uint8Array(await (await blobOf(emulator, draft.id)).arrayBuffer())).toEqual(first);
  });

  it("moves the image to the newest place of the listing when the file arrives", async () => {
    const draft = await draftV2();
    clock += 1000;
    const direct = await uploaded(emulator);
    clock += 1000;
    const done = (await sendToUploadUrl(draft.uploadURL)).body.result;
    expect(done.uploaded).toBe(new Date(START + 2000).toISOString());
    const listed = (await emulator.api<{ images: WireImage[] }>("GET", "/v2")).body.result.images;
    expect(listed.map((image) => image.id)).toEqual([draft.id, direct.id]);
    expect((await accountView(emulator)).current).toBe(2);
  });

  it("leaves the draft usable after a refused file", async () => {
    const draft = await draftV2();
    const text = new TextEncoder().encode("definitely not an image");
    const refused = await sendToUploadUrl(draft.uploadURL, text, "fake.png");
    expect(refused.status).toBe(415);
    expect(refused.body.errors[0]?.code).toBe(5455);
    const noFile = await fetch(draft.uploadURL, { method: "POST", body: imageForm({}, null) });
    expect(noFile.status).toBe(400);
    const notMultipart = await fetch(draft.uploadURL, { method: "POST", body: samplePng(3, 3) });
    expect(notMultipart.status).toBe(415);
    expect((await details(draft.id)).body.result.draft).toBe(true);
    expect((await sendToUploadUrl(draft.uploadURL)).status).toBe(200);
  });

  it("answers 404 for an unknown account hash, an unknown id and a deleted draft", async () => {
    const draft = await draftV2();
    const wrongHash = draft.uploadURL.replace(emulator.accountHash, "AAAAAAAAAAAAAAAAAAAAAA");
    expect((await sendToUploadUrl(wrongHash)).status).toBe(404);
    expect((await sendToUploadUrl(`${emulator.origin}/upload/${emulator.accountHash}/nope`)).status).toBe(404);
    expect((await emulator.api("DELETE", `/v1/${draft.id}`)).status).toBe(200);
    const gone = await sendToUploadUrl(draft.uploadURL);
    expect(gone.status).toBe(404);
    expect(gone.body.errors[0]?.code).toBe(5404);
  });

  it("needs no credentials and is counted apart from the API", async () => {
    const draft = await draftV2();
    await sendToUploadUrl(draft.uploadURL);
    expect((await emulator.counts())["POST /upload/{account_hash}/{image_id+}"]).toBe(1);
  });
});

describe("POST /v1/direct_upload (deprecated)", () => {
  it("creates a draft from JSON or from an empty body", async () => {
    for (const body of [JSON.stringify({ expiry: new Date(START + 10 * MINUTE).toISOString() }), "", "{}"]) {
      const answer = (await rawApi(emulator, "POST", "/v1/direct_upload", body, {
        "content-type": "application/json",
      })) as ApiAnswer<DirectUpload>;
      expect(answer.status).toBe(200);
      expect(answer.body.result.id).toMatch(UUID);
      expect((await details(answer.body.result.id)).body.result.draft).toBe(true);
      expect((await sendToUploadUrl(answer.body.result.uploadURL)).status).toBe(200);
    }
    expect((await accountView(emulator)).current).toBe(3);
  });

  it.each([
    ["a body that is not JSON", "{expiry"],
    ["a JSON array", "[]"],
    ["an expiry that is not a string", JSON.stringify({ expiry: 12 })],
    ["an expiry too soon", JSON.stringify({ expiry: new Date(START + MINUTE).toISOString() })],
    ["an expiry too late", JSON.stringify({ expiry: new Date(START + 7 * 60 * MINUTE).toISOString() })],
  ])("refuses %s with 400", async (_case, body) => {
    const send = () => rawApi(emulator, "POST", "/v1/direct_upload", body, { "content-type": "application/json" });
    await expectRefused(emulator, send, 400, 5400);
  });
});

describe("the upload URL from a web page (CORS)", () => {
  it("answers a preflight, and its answers (refusals too) may be read by any origin", async () => {
    const { uploadURL } = await draftV2();
    const preflight = await fetch(uploadURL, {
      method: "OPTIONS",
      headers: {
        origin: "http://gallery.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");

    const form = new FormData();
    form.append("file", new Blob([samplePng(2, 2)], { type: "image/png" }), "a.png");
    const posted = await fetch(uploadURL, {
      method: "POST",
      body: form,
      headers: { origin: "http://gallery.example" },
    });
    expect(posted.status).toBe(200);
    expect(posted.headers.get("access-control-allow-origin")).toBe("*");
    const again = await fetch(uploadURL, { method: "POST", body: form });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.headers.get("access-control-allow-origin")).toBe("*");
    // The API itself is for servers: no CORS there.
    const api = await fetch(`${emulator.baseUrl}/accounts/${emulator.accountId}/images/v1`);
    expect(api.headers.get("access-control-allow-origin")).toBeNull();
  });
});
