import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

interface Variant {
  id: string;
  options: { fit: string; metadata: string; width: number; height: number };
  neverRequireSignedURLs: boolean;
}

const THUMB = {
  id: "thumb",
  options: { fit: "cover", metadata: "none", width: 200, height: 200 },
};

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset({ data: true }));

async function variantIds(): Promise<string[]> {
  const answer = await emulator.api<{ variants: Record<string, Variant> }>("GET", "/v1/variants");
  expect(answer.status).toBe(200);
  return Object.keys(answer.body.result.variants);
}

describe("variants", () => {
  it("lists the public variant of a new account, keyed by id", async () => {
    const answer = await emulator.api<{ variants: Record<string, Variant> }>("GET", "/v1/variants");
    expect(answer.body.result.variants).toEqual({
      public: {
        id: "public",
        options: { fit: "scale-down", metadata: "none", width: 1366, height: 768 },
        neverRequireSignedURLs: false,
      },
    });
  });

  it("creates a variant and shows it in the list, the details and the flat details", async () => {
    const created = await emulator.api<{ variant: Variant }>("POST", "/v1/variants", { json: THUMB });
    expect(created.status).toBe(200);
    const expected = { ...THUMB, neverRequireSignedURLs: false };
    expect(created.body.result).toEqual({ variant: expected });

    const list = await emulator.api<{ variants: Record<string, Variant> }>("GET", "/v1/variants");
    expect(Object.keys(list.body.result.variants)).toEqual(["public", "thumb"]);
    expect(list.body.result.variants.thumb).toEqual(expected);
    expect((await emulator.api("GET", "/v1/variants/thumb")).body.result).toEqual({ variant: expected });
    expect((await emulator.api("GET", "/v1/variants/thumb/flat")).body.result).toEqual(expected);
  });

  it("keeps neverRequireSignedURLs when given", async () => {
    const created = await emulator.api<{ variant: Variant }>("POST", "/v1/variants", {
      json: { ...THUMB, neverRequireSignedURLs: true },
    });
    expect(created.body.result.variant.neverRequireSignedURLs).toBe(true);
  });

  it("refuses a duplicate id with 409/5409", async () => {
    await emulator.api("POST", "/v1/variants", { json: THUMB });
    const again = await emulator.api("POST", "/v1/variants", {
      json: { ...THUMB, options: { ...THUMB.options, width: 9 } },
    });
    expect(again.status).toBe(409);
    expect(again.body.errors[0]?.code).toBe(5409);
    const current = await emulator.api<{ variant: Variant }>("GET", "/v1/variants/thumb");
    expect(current.body.result.variant.options.width).toBe(200);
    const publicAgain = await emulator.api("POST", "/v1/variants", { json: { ...THUMB, id: "public" } });
    expect(publicAgain.status).toBe(409);
  });

  it("lets exactly one of several concurrent creates of the same id succeed", async () => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => emulator.api("POST", "/v1/variants", { json: THUMB })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
  });

  const invalidBodies: [string, unknown][] = [
    ["no id", { options: THUMB.options }],
    ["an empty id", { ...THUMB, id: "" }],
    ["an id of 100 characters", { ...THUMB, id: "v".repeat(100) }],
    ["an id with a slash", { ...THUMB, id: "a/b" }],
    ["an id with a space", { ...THUMB, id: "a b" }],
    ["a numeric id", { ...THUMB, id: 7 }],
    ["no options", { id: "x" }],
    ["options as an array", { id: "x", options: [] }],
    ["no fit", { id: "x", options: { metadata: "none", width: 1, height: 1 } }],
    ["an unknown fit", { id: "x", options: { ...THUMB.options, fit: "stretch" } }],
    ["no metadata", { id: "x", options: { fit: "pad", width: 1, height: 1 } }],
    ["an unknown metadata", { id: "x", options: { ...THUMB.options, metadata: "all" } }],
    ["no width", { id: "x", options: { fit: "pad", metadata: "keep", height: 1 } }],
    ["no height", { id: "x", options: { fit: "pad", metadata: "keep", width: 1 } }],
    ["a zero width", { id: "x", options: { ...THUMB.options, width: 0 } }],
    ["a fractional height", { id: "x", options: { ...THUMB.options, height: 1.5 } }],
    ["a width as text", { id: "x", options: { ...THUMB.options, width: "100" } }],
    ["a width over 12000", { id: "x", options: { ...THUMB.options, width: 12_001 } }],
    ["a non-boolean neverRequireSignedURLs", { ...THUMB, id: "x", neverRequireSignedURLs: "yes" }],
    ["a JSON array", [THUMB]],
  ];

  it.each(invalidBodies)("refuses a create with %s with 400/5400 and stores nothing", async (_case, json) => {
    const answer = await emulator.api("POST", "/v1/variants", { json });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ success: false, result: null, errors: [{ code: 5400 }] });
    expect(await variantIds()).toEqual(["public"]);
  });

  it.each([
    ["malformed JSON", "{not json"],
    ["no body", undefined],
  ])("refuses a create with %s with 400/5400", async (_case, body) => {
    const response = await fetch(`${emulator.baseUrl}/accounts/${emulator.accountId}/images/v1/variants`, {
      method: "POST",
      headers: { authorization: `Bearer ${emulator.token}`, "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { code: number }[] }).errors[0]?.code).toBe(5400);
  });

  it("accepts the boundaries: a 99-character id and sides of 1 and 12000", async () => {
    const id = `${"a".repeat(97)}-_`;
    const answer = await emulator.api("POST", "/v1/variants", {
      json: { id, options: { fit: "pad", metadata: "keep", width: 1, height: 12_000 } },
    });
    expect(answer.status).toBe(200);
    expect((await emulator.api("GET", `/v1/variants/${id}`)).status).toBe(200);
  });

  it("refuses the 101st variant with 400/5470 (public included) and accepts one again after a delete", async () => {
    for (let i = 1; i <= 99; i++) {
      const answer = await emulator.api("POST", "/v1/variants", { json: { ...THUMB, id: `v${i}` } });
      expect(answer.status).toBe(200);
    }
    expect(await variantIds()).toHaveLength(100);
    const refused = await emulator.api("POST", "/v1/variants", { json: { ...THUMB, id: "one-too-many" } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0]?.code).toBe(5470);
    expect(await variantIds()).toHaveLength(100);
    expect((await emulator.api("GET", "/v1/variants/one-too-many")).status).toBe(404);

    await emulator.api("DELETE", "/v1/variants/v1");
    expect((await emulator.api("POST", "/v1/variants", { json: { ...THUMB, id: "one-too-many" } })).status).toBe(200);
  });

  it("updates the options and keeps neverRequireSignedURLs unless given", async () => {
    await emulator.api("POST", "/v1/variants", { json: { ...THUMB, neverRequireSignedURLs: true } });
    const options = { fit: "contain", metadata: "copyright", width: 640, height: 480 };
    const patched = await emulator.api<{ variant: Variant }>("PATCH", "/v1/variants/thumb", { json: { options } });
    expect(patched.status).toBe(200);
    expect(patched.body.result.variant).toEqual({ id: "thumb", options, neverRequireSignedURLs: true });

    const flipped = await emulator.api<{ variant: Variant }>("PATCH", "/v1/variants/thumb", {
      json: { options, neverRequireSignedURLs: false },
    });
    expect(flipped.body.result.variant.neverRequireSignedURLs).toBe(false);
    expect((await emulator.api("GET", "/v1/variants/thumb/flat")).body.result).toEqual(flipped.body.result.variant);
  });

  it("lets the public variant be updated", async () => {
    const options = { fit: "scale-down", metadata: "keep", width: 2000, height: 1000 };
    const patched = await emulator.api<{ variant: Variant }>("PATCH", "/v1/variants/public", { json: { options } });
    expect(patched.status).toBe(200);
    expect(patched.body.result.variant.options).toEqual(options);
  });

  it.each([
    ["no options", { neverRequireSignedURLs: true }],
    ["options without height", { options: { fit: "pad", metadata: "none", width: 10 } }],
    ["a bad fit", { options: { ...THUMB.options, fit: "fill" } }],
    ["a non-boolean neverRequireSignedURLs", { options: THUMB.options, neverRequireSignedURLs: 1 }],
  ])("refuses an update with %s with 400/5400 and changes nothing", async (_case, json) => {
    await emulator.api("POST", "/v1/variants", { json: THUMB });
    const answer = await emulator.api("PATCH", "/v1/variants/thumb", { json });
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]?.code).toBe(5400);
    const current = await emulator.api<{ variant: Variant }>("GET", "/v1/variants/thumb");
    expect(current.body.result.variant).toEqual({ ...THUMB, neverRequireSignedURLs: false });
  });

  it("deletes a variant", async () => {
    await emulator.api("POST", "/v1/variants", { json: THUMB });
    const deleted = await emulator.api("DELETE", "/v1/variants/thumb");
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ success: true, result: {} });
    expect(await variantIds()).toEqual(["public"]);
    expect((await emulator.api("GET", "/v1/variants/thumb")).status).toBe(404);
  });

  it("refuses to delete the public variant with 400/5471", async () => {
    const answer = await emulator.api("DELETE", "/v1/variants/public");
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]?.code).toBe(5471);
    expect(await variantIds()).toEqual(["public"]);
  });

  it.each([
    ["GET", "/v1/variants/missing"],
    ["GET", "/v1/variants/missing/flat"],
    ["PATCH", "/v1/variants/missing"],
    ["DELETE", "/v1/variants/missing"],
  ])("answers %s %s with 404/5404", async (method, path) => {
    const json = method === "PATCH" ? { options: THUMB.options } : undefined;
    const answer = await emulator.api(method, path, { json });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ success: false, result: null, errors: [{ code: 5404 }] });
  });

  it("routes a variant named like an image sub-resource (blob) to the variant", async () => {
    await emulator.api("POST", "/v1/variants", { json: { ...THUMB, id: "blob" } });
    const answer = await emulator.api<{ variant: Variant }>("GET", "/v1/variants/blob");
    expect(answer.status).toBe(200);
    expect(answer.body.result.variant.id).toBe("blob");
  });

  it("adds a new variant's URL to every image and removes it, and its delivery, on delete", async () => {
    const bulk = (await (await emulator.admin("POST", "/images", { count: 2 })).json()) as { ids: string[] };
    const imageId = bulk.ids[0] as string;
    const variantsOf = async () =>
      (await emulator.api<{ variants: string[] }>("GET", `/v1/${imageId}`)).body.result.variants;

    await emulator.api("POST", "/v1/variants", { json: THUMB });
    const thumbUrl = (await variantsOf()).find((url) => url.endsWith("/thumb"));
    expect(thumbUrl).toBe(`${emulator.origin}/cdn/${emulator.accountHash}/${imageId}/thumb`);
    expect((await fetch(thumbUrl as string)).status).toBe(200);

    await emulator.api("DELETE", "/v1/variants/thumb");
    expect(await variantsOf()).toEqual([`${emulator.origin}/cdn/${emulator.accountHash}/${imageId}/public`]);
    expect((await fetch(thumbUrl as string)).status).toBe(404);
  });
});
