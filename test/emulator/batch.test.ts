import { afterEach, describe, expect, it } from "vitest";
import type { EmulatorOptions } from "../../src/emulator/index.ts";
import { type ApiAnswer, startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { imageForm, UUID, uploaded, type WireImage } from "../support/images.ts";

const START = Date.parse("2030-06-01T12:00:00Z");
let clock = START;
let emulator: TestEmulator;

afterEach(() => emulator.close());

async function start(options: EmulatorOptions = {}): Promise<void> {
  clock = START;
  emulator = await startTestEmulator({ now: () => clock, ...options });
}

interface BatchToken {
  token: string;
  expiresAt: string;
}

async function batchToken(): Promise<string> {
  const answer = await emulator.api<BatchToken>("GET", "/v1/batch_token");
  expect(answer.status).toBe(200);
  return answer.body.result.token;
}

/** A call to the batch host: `<batchBaseUrl>/images<path>`, with the given token or headers. */
async function batch<T = unknown>(
  method: string,
  path: string,
  auth: string | Record<string, string>,
  body?: { json?: unknown; form?: FormData },
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = typeof auth === "string" ? { authorization: `Bearer ${auth}` } : auth;
  let payload: BodyInit | undefined = body?.form;
  if (body?.json !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body.json);
  }
  const response = await fetch(`${emulator.batchBaseUrl}/images${path}`, { method, headers, body: payload });
  return { status: response.status, headers: response.headers, body: (await response.json()) as ApiAnswer<T>["body"] };
}

describe("GET /v1/batch_token", () => {
  it("hands out a token and its expiry in the success envelope, as a counted global API call", async () => {
    await start();
    const answer = await emulator.api<BatchToken>("GET", "/v1/batch_token");
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ success: true, errors: [], messages: [] });
    expect(answer.body.result.token).toMatch(/^[\w-]{32,}$/);
    expect(answer.body.result.expiresAt).toBe(new Date(START + 30 * 60_000).toISOString());
    const second = await emulator.api<BatchToken>("GET", "/v1/batch_token");
    expect(second.body.result.token).not.toBe(answer.body.result.token);
    expect(await emulator.counts()).toEqual({ "GET /accounts/{account_id}/images/v1/batch_token": 2 });
  });

  it("needs the API's own credentials", async () => {
    await start();
    const anonymous = await emulator.api("GET", "/v1/batch_token", { anonymous: true });
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.errors[0]?.code).toBe(9106);
    const wrong = await emulator.api("GET", "/v1/batch_token", { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(403);
  });

  it("uses the configured token lifetime", async () => {
    await start({ batchTokenTtlSeconds: 5 });
    const answer = await emulator.api<BatchToken>("GET", "/v1/batch_token");
    expect(answer.body.result.expiresAt).toBe(new Date(START + 5000).toISOString());
  });
});

describe("the batch host", () => {
  it("serves details, update, list v2, upload, direct upload v2 and delete with the global API's bodies", async () => {
    await start();
    const token = await batchToken();
    const existing = await uploaded(emulator, { creator: "ada" });

    const details = await batch<WireImage>("GET", `/v1/${existing.id}`, token);
    expect(details.status).toBe(200);
    expect(details.body).toEqual((await emulator.api("GET", `/v1/${existing.id}`)).body);

    const patched = await batch<WireImage>("PATCH", `/v1/${existing.id}`, token, { json: { metadata: { a: 1 } } });
    expect(patched.status).toBe(200);
    expect(patched.body.result.meta).toEqual({ a: 1 });
    expect((await emulator.api<WireImage>("GET", `/v1/${existing.id}`)).body.result.meta).toEqual({ a: 1 });

    const added = await batch<WireImage>("POST", "/v1", token, { form: imageForm({ creator: "bob" }) });
    expect(added.status).toBe(200);
    expect(added.body.result).toMatchObject({ id: expect.stringMatching(UUID), creator: "bob", filename: "photo.png" });

    const list = await batch<{ images: WireImage[] }>("GET", "/v2?sort_order=asc", token);
    expect(list.status).toBe(200);
    expect(list.body.result.images.map((image) => image.id)).toEqual([existing.id, added.body.result.id]);
    expect(list.body).toEqual((await emulator.api("GET", "/v2?sort_order=asc")).body);

    const form = new FormData();
    form.append("creator", "carol");
    const direct = await batch<{ id: string; uploadURL: string }>("POST", "/v2/direct_upload", token, { form });
    expect(direct.status).toBe(200);
    expect(direct.body.result.uploadURL).toBe(
      `${emulator.origin}/upload/${emulator.accountHash}/${direct.body.result.id}`,
    );
    const draft = await emulator.api<WireImage>("GET", `/v1/${direct.body.result.id}`);
    expect(draft.body.result).toMatchObject({ draft: true, creator: "carol" });

    const deleted = await batch("DELETE", `/v1/${existing.id}`, token);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ result: {}, success: true, errors: [], messages: [] });
    expect((await emulator.api("GET", `/v1/${existing.id}`)).status).toBe(404);
  });

  it("counts its calls per route under /batch, apart from the global API's", async () => {
    await start();
    const token = await batchToken();
    const image = await uploaded(emulator);
    await emulator.reset();
    await batch("GET", `/v1/${image.id}`, token);
    await batch("GET", `/v1/${image.id}`, token);
    await batch("GET", "/v2", token);
    await emulator.api("GET", `/v1/${image.id}`);
    expect(await emulator.counts()).toEqual({
      "GET /batch/images/v1/{image_id}": 2,
      "GET /batch/images/v2": 1,
      "GET /accounts/{account_id}/images/v1/{image_id}": 1,
    });
  });

  it("takes injected faults by its own route templates, leaving the global API's routes alone", async () => {
    await start();
    const token = await batchToken();
    const image = await uploaded(emulator);
    await emulator.admin("POST", "/faults", {
      method: "GET",
      route: "/batch/images/v1/{image_id}",
      status: 503,
      retryAfter: 2,
    });
    expect((await emulator.api("GET", `/v1/${image.id}`)).status).toBe(200);
    const failed = await batch("GET", `/v1/${image.id}`, token);
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toBe("2");
    expect((await batch("GET", `/v1/${image.id}`, token)).status).toBe(200);
  });

  it("answers the API's not-found and bad-input failures as the global API does", async () => {
    await start();
    const token = await batchToken();
    const missing = await batch("GET", "/v1/no-such-image", token);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      result: null,
      success: false,
      errors: [{ code: 5404, message: "Image not found" }],
      messages: [],
    });
    const badPage = await batch("GET", "/v2?per_page=5", token);
    expect(badPage.status).toBe(400);
    expect(badPage.body).toEqual((await emulator.api("GET", "/v2?per_page=5")).body);
  });

  it("serves only the documented endpoints, and only without the /accounts prefix", async () => {
    await start();
    const token = await batchToken();
    const variants = await batch("POST", "/v1/variants", token, { json: { id: "x" } });
    expect(variants.status).toBe(405);
    const keys = await fetch(`${emulator.batchBaseUrl}/images/v1/keys/new-key`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(keys.status).toBe(404);
    const prefixed = await fetch(`${emulator.batchBaseUrl}/accounts/${emulator.accountId}/images/v2`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(prefixed.status).toBe(404);
    expect(await prefixed.json()).toMatchObject({ success: false, errors: [{ code: 7000 }] });
  });
});

describe("batch-token authentication", () => {
  it("refuses a missing, malformed or unknown token, and the API token itself", async () => {
    await start();
    const none = await batch("GET", "/v2", {});
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ success: false, result: null, errors: [{ code: 9106 }] });
    const malformed = await batch("GET", "/v2", { authorization: "Token abc" });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0]?.code).toBe(6003);
    for (const token of ["unknown-token", emulator.token]) {
      const refused = await batch("GET", "/v2", token);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({
        result: null,
        success: false,
        errors: [{ code: 10000, message: "Authentication error" }],
        messages: [],
      });
    }
  });

  it("refuses a token once it has expired; a fresh one works", async () => {
    await start({ batchTokenTtlSeconds: 60 });
    const token = await batchToken();
    clock += 59_000;
    expect((await batch("GET", "/v2", token)).status).toBe(200);
    clock += 1_000;
    const expired = await batch("GET", "/v2", token);
    expect(expired.status).toBe(403);
    expect(expired.body.errors).toEqual([{ code: 10000, message: "Authentication error" }]);
    expect((await batch("GET", "/v2", await batchToken())).status).toBe(200);
  });
});

describe("batch-host rate limit", () => {
  it("does not count batch calls in the global limit, and serves them while the account is blocked", async () => {
    await start({ rateLimit: { limit: 3, windowSeconds: 60, blockSeconds: 60 } });
    const token = await batchToken();
    for (let i = 0; i < 20; i++) {
      const answer = await batch("GET", "/v2", token);
      expect(answer.status).toBe(200);
      expect(answer.headers.get("ratelimit")).toBeNull();
    }
    expect((await emulator.api("GET", "/v1/stats")).status).toBe(200);
    const last = await emulator.api("GET", "/v1/stats");
    expect(last.status).toBe(200);
    expect(last.headers.get("ratelimit")).toBe(`"default";r=0;t=60`);
    expect((await emulator.api("GET", "/v1/stats")).status).toBe(429);
    expect((await batch("GET", "/v2", token)).status).toBe(200);
  });

  it("allows 200 requests a second per token, then 429 with Retry-After until the next second", async () => {
    await start({ rateLimit: true });
    const token = await batchToken();
    const other = await batchToken();
    for (let i = 0; i < 200; i++) expect((await batch("GET", "/v2?per_page=10", token)).status).toBe(200);
    const limited = await batch("GET", "/v2?per_page=10", token);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ success: false, result: null, errors: [{ code: 10013 }] });
    expect(limited.headers.get("retry-after")).toBe("1");
    expect((await batch("GET", "/v2?per_page=10", other)).status).toBe(200);
    clock += 1000;
    expect((await batch("GET", "/v2?per_page=10", token)).status).toBe(200);
    const counts = await emulator.counts();
    expect(counts["GET /batch/images/v2"]).toBe(203);
  });

  it("takes the per-token limit from the rate-limit hook, and has none while the limiter is off", async () => {
    await start();
    const token = await batchToken();
    for (let i = 0; i < 250; i++) expect((await batch("GET", "/v2?per_page=10", token)).status).toBe(200);
    const set = await emulator.admin("POST", "/rate-limit", { enabled: true, batchPerSecond: 2 });
    expect(await set.json()).toMatchObject({ rateLimit: { limit: 1200, batchPerSecond: 2 } });
    expect((await batch("GET", "/v2", token)).status).toBe(200);
    expect((await batch("GET", "/v2", token)).status).toBe(200);
    expect((await batch("GET", "/v2", token)).status).toBe(429);
  });
});
