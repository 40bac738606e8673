import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "graphql-sse";
import { beforeEach, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { uploaded } from "../support/images.ts";
import { startTestStack, useTestStack } from "../support/server.ts";
import { subscribe } from "../support/sse.ts";

const GET_IMAGE = "GET /accounts/{account_id}/images/v1/{image_id}";
const POLL_MS = 250;

const READY = `subscription($id: ID!) { imageReady(imageId: $id) { imageId draft filename creator } }`;
const CHANGED = `subscription($id: ID!) { imageChanged(imageId: $id) { imageId creator meta uploaded } }`;
const CREATE = `mutation($input: CreateDirectUploadInput!) {
  createDirectUpload(input: $input) { ... on CreateDirectUploadPayload { uploadURL image { imageId } } }
}`;

/** The emulator's clock, which tests move forward to expire upload URLs. */
let clockOffsetMs = 0;

const stack = useTestStack(() => ({
  emulator: { now: () => Date.now() + clockOffsetMs },
  env: { IMAGE_READY_POLL_INTERVAL_MS: String(POLL_MS), IMAGE_READY_POLL_MAX_INTERVAL_MS: String(POLL_MS) },
}));
beforeEach(async () => {
  clockOffsetMs = 0;
  await stack.emulator.reset();
});

async function createDraft(creator = "browser"): Promise<{ imageId: string; uploadURL: string }> {
  const answer = await stack.gql<{ createDirectUpload: { uploadURL: string; image: { imageId: string } } }>(CREATE, {
    input: { creator },
  });
  const created = answer.data?.createDirectUpload;
  if (!created) throw new Error(`no draft: ${answer.text}`);
  return { imageId: created.image.imageId, uploadURL: created.uploadURL };
}

async function postFile(uploadURL: string, name = "snap.png"): Promise<void> {
  const form = new FormData();
  form.append("file", new Blob([samplePng(8, 6)], { type: "image/png" }), name);
  const answer = await fetch(uploadURL, { method: "POST", body: form });
  expect(answer.status).toBe(200);
}

async function imageGets(): Promise<number> {
  return (await stack.emulator.counts())[GET_IMAGE] ?? 0;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe("imageReady over SSE", () => {
  it("emits the image once the browser's file reaches the upload URL, then ends", async () => {
    const draft = await createDraft();
    await stack.emulator.reset();
    const sub = await subscribe(stack.server.url, READY, { id: draft.imageId });
    expect(sub.response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await until(async () => (await imageGets()) >= 2, "the loop to look twice");
    expect(await sub.quietFor(100)).toBe(true);

    await postFile(draft.uploadURL);
    expect(await sub.next()).toEqual({
      data: { imageReady: { imageId: draft.imageId, draft: false, filename: "snap.png", creator: "browser" } },
    });
    expect(await sub.next()).toBe("end");
  });

  it("emits at once for an image that is ready, and NOT_FOUND for an unknown id", async () => {
    const draft = await createDraft();
    await postFile(draft.uploadURL);
    await stack.emulator.reset();
    const ready = await subscribe(stack.server.url, READY, { id: draft.imageId });
    expect(await ready.next()).toMatchObject({ data: { imageReady: { imageId: draft.imageId, draft: false } } });
    expect(await ready.next()).toBe("end");
    expect(await imageGets()).toBe(1);

    const unknown = await subscribe(stack.server.url, READY, { id: "no-such-image" });
    const part = await unknown.next();
    expect(part).toMatchObject({ data: null, errors: [{ path: ["imageReady"], extensions: { code: "NOT_FOUND" } }] });
    expect(await unknown.next()).toBe("end");
  });

  it("refuses an id the upstream cannot take with BAD_USER_INPUT and no call", async () => {
    const sub = await subscribe(stack.server.url, READY, { id: "x".repeat(2000) });
    expect(await sub.next()).toMatchObject({
      errors: [{ extensions: { code: "BAD_USER_INPUT", argument: "imageId" } }],
    });
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("serves every subscriber to a draft from one poll loop", async () => {
    const draft = await createDraft();
    await stack.emulator.reset();
    const subs = [await subscribe(stack.server.url, READY, { id: draft.imageId })];
    await until(async () => (await imageGets()) >= 1, "the first look");
    for (let i = 0; i < 4; i++) subs.push(await subscribe(stack.server.url, READY, { id: draft.imageId }));
    // Count over a stretch of polling: five loops would make about five times the calls.
    const before = await imageGets();
    const started = Date.now();
    await sleep(8 * POLL_MS);
    const calls = (await imageGets()) - before;
    const oneLoopAtMost = Math.ceil((Date.now() - started) / POLL_MS) + 1;
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(oneLoopAtMost);

    await postFile(draft.uploadURL);
    for (const sub of subs) {
      expect(await sub.next()).toMatchObject({ data: { imageReady: { imageId: draft.imageId, draft: false } } });
      expect(await sub.next()).toBe("end");
    }
  });

  it("ends with NOT_FOUND (UPLOAD_EXPIRED) when the upload URL expires first", async () => {
    const draft = await createDraft();
    const sub = await subscribe(stack.server.url, READY, { id: draft.imageId });
    await until(async () => (await imageGets()) >= 2, "the loop to see the draft");
    // The upstream forgets a draft once its upload URL (30 minutes by default) has expired.
    clockOffsetMs = 31 * 60_000;
    expect(await sub.next()).toMatchObject({
      data: null,
      errors: [
        { path: ["imageReady"], extensions: { code: "NOT_FOUND", reason: "UPLOAD_EXPIRED", imageId: draft.imageId } },
      ],
    });
    expect(await sub.next()).toBe("end");
  });

  it("stops polling when the last subscriber goes away, and the server keeps serving", async () => {
    const draft = await createDraft();
    await stack.emulator.reset();
    const first = await subscribe(stack.server.url, READY, { id: draft.imageId });
    const second = await subscribe(stack.server.url, READY, { id: draft.imageId });
    await until(async () => (await imageGets()) >= 2, "polling");
    first.abort();
    const afterOne = await imageGets();
    await until(async () => (await imageGets()) >= afterOne + 2, "polling on for the second subscriber");
    second.abort();
    // Let the abort reach the server and a call in flight finish.
    await sleep(4 * POLL_MS);
    const settled = await imageGets();
    await sleep(8 * POLL_MS);
    expect(await imageGets()).toBe(settled);

    const answer = await stack.gql<{ image: { draft: boolean } }>(`query($id: ID!) { image(imageId: $id) { draft } }`, {
      id: draft.imageId,
    });
    expect(answer.data?.image.draft).toBe(true);
  });
});

describe("with the graphql-sse client (distinct connections mode)", () => {
  it("receives imageReady for a direct upload, and the iteration ends", async () => {
    const draft = await createDraft("sse-client");
    const client = createClient({ url: new URL("/graphql", stack.server.url).href, retryAttempts: 0 });
    try {
      const results: unknown[] = [];
      const iteration = (async () => {
        for await (const result of client.iterate({ query: READY, variables: { id: draft.imageId } })) {
          results.push(result);
        }
      })();
      await until(async () => (await imageGets()) >= 1, "the subscription's first look");
      await postFile(draft.uploadURL, "via-client.png");
      await iteration;
      expect(results).toEqual([
        {
          data: {
            imageReady: { imageId: draft.imageId, draft: false, filename: "via-client.png", creator: "sse-client" },
          },
        },
      ]);
    } finally {
      client.dispose();
    }
  });
});

describe("imageChanged over SSE", () => {
  it("emits the image after each updateImage and null after deleteImage", async () => {
    const draft = await createDraft("first");
    await postFile(draft.uploadURL);
    const sub = await subscribe(stack.server.url, CHANGED, { id: draft.imageId });
    expect(await sub.quietFor(200)).toBe(true);

    const update = `mutation($input: UpdateImageInput!) { updateImage(input: $input) { __typename } }`;
    await stack.gql(update, { input: { imageId: draft.imageId, creator: "second" } });
    const first = await sub.next();
    expect(first).toMatchObject({ data: { imageChanged: { imageId: draft.imageId, creator: "second" } } });
    expect(typeof (first as { data: { imageChanged: { uploaded: unknown } } }).data.imageChanged.uploaded).toBe(
      "string",
    );
    await stack.gql(update, { input: { imageId: draft.imageId, metadata: { album: "x" } } });
    expect(await sub.next()).toMatchObject({
      data: { imageChanged: { imageId: draft.imageId, creator: "second", meta: { album: "x" } } },
    });

    await stack.gql(`mutation($id: ID!) { deleteImage(input: { imageId: $id }) { __typename } }`, {
      id: draft.imageId,
    });
    expect(await sub.next()).toEqual({ data: { imageChanged: null } });
    sub.abort();
  });

  it("does not emit for another image's change", async () => {
    const a = await createDraft("a");
    const b = await createDraft("b");
    const sub = await subscribe(stack.server.url, CHANGED, { id: a.imageId });
    await stack.gql(`mutation($id: ID!) { updateImage(input: { imageId: $id, creator: "b2" }) { __typename } }`, {
      id: b.imageId,
    });
    expect(await sub.quietFor(500)).toBe(true);
    sub.abort();
  });
});

describe("imageChanged when an update renames the image", () => {
  it("reaches the old id's subscribers with the new imageId", async () => {
    const renaming = await startTestStack({ emulator: { newIdOnSignedUrlsChange: true } });
    try {
      const image = await uploaded(renaming.emulator, { creator: "x" });
      const sub = await subscribe(renaming.server.url, CHANGED, { id: image.id });
      expect(await sub.quietFor(200)).toBe(true);
      await renaming.gql(
        `mutation($id: ID!) { updateImage(input: { imageId: $id, requireSignedURLs: true }) { __typename } }`,
        {
          id: image.id,
        },
      );
      const event = (await sub.next()) as { data: { imageChanged: { imageId: string } } };
      expect(event.data.imageChanged.imageId).not.toBe(image.id);
      const renamed = await renaming.gql<{ image: { requireSignedURLs: boolean } }>(
        `query($id: ID!) { image(imageId: $id) { requireSignedURLs } }`,
        { id: event.data.imageChanged.imageId },
      );
      expect(renamed.data?.image.requireSignedURLs).toBe(true);
      sub.abort();
    } finally {
      await renaming.close();
    }
  });
});

describe("limits on subscription documents", () => {
  it("refuses a subscription over MAX_COST before any upstream call", async () => {
    const small = await startTestStack({ env: { MAX_COST: "11" } });
    try {
      const sub = await subscribe(small.server.url, READY, { id: "some-image" });
      expect(await sub.next()).toMatchObject({ errors: [{ extensions: { code: "BAD_USER_INPUT", limit: "cost" } }] });
      expect(await sub.next()).toBe("end");
      expect(await small.emulator.counts()).toEqual({});
    } finally {
      await small.close();
    }
  });

  it("refuses a subscription from a JSON-only client with BAD_USER_INPUT, not an empty 406", async () => {
    const answer = await stack.gql(READY, { id: "some-image" });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(answer.errors?.[0]?.message).toMatch(/text\/event-stream/);
    expect(await stack.emulator.counts()).toEqual({});
  });
});

describe("shutdown", () => {
  it("completes open subscriptions, so the server finishes closing", async () => {
    const other = await startTestStack({ env: { IMAGE_READY_POLL_INTERVAL_MS: String(POLL_MS) } });
    const created = await other.gql<{ createDirectUpload: { image: { imageId: string } } }>(CREATE, { input: {} });
    const draftId = created.data?.createDirectUpload.image.imageId;
    const changed = await subscribe(other.server.url, CHANGED, { id: "some-image" });
    const ready = await subscribe(other.server.url, READY, { id: draftId });
    await until(async () => ((await other.emulator.counts())[GET_IMAGE] ?? 0) >= 1, "the draft's poll loop");

    const closing = other.close().then(() => "closed");
    const timeout = new Promise((resolve) => setTimeout(() => resolve("still open"), 10_000));
    expect(await Promise.race([closing, timeout])).toBe("closed");
    expect(await changed.next()).toBe("end");
    expect(await ready.next()).toBe("end");
  });
});
