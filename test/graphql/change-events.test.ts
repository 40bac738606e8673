import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import type { ChangeListener, ImageChangeEvent } from "../../src/writes/index.ts";
import { uploaded } from "../support/images.ts";
import { captureLogs } from "../support/logs.ts";
import { startTestStack, type TestStack, useTestStack } from "../support/server.ts";
import { subscribe } from "../support/sse.ts";
import { gqlMultipart, UPLOAD_IMAGE, type UploadResult } from "../support/uploads.ts";

const UPDATE = `mutation($input: UpdateImageInput!) {
  updateImage(input: $input) {
    __typename
    ... on UpdateImagePayload { image { imageId creator requireSignedURLs } previousImageId }
    ... on UpstreamError { status }
  }
}`;
const DELETE = `mutation($id: ID!) { deleteImage(input: { imageId: $id }) { __typename } }`;
const CREATE_DRAFT = `mutation { createDirectUpload(input: { creator: "browser" }) {
  ... on CreateDirectUploadPayload { uploadURL image { imageId } }
} }`;
const READY = `subscription($id: ID!) { imageReady(imageId: $id) { imageId draft } }`;
const IMAGE_ROUTE = "/accounts/{account_id}/images/v1/{image_id}";
const GET_IMAGE = `GET ${IMAGE_ROUTE}`;

const logs = captureLogs("info");
// With the entity cache on, as in production: every write goes through the request's cached api.
const stack = useTestStack({
  resetEmulatorBeforeEach: true,
  logger: logs.logger,
  env: { CACHE: "on", IMAGE_READY_POLL_INTERVAL_MS: "250", IMAGE_READY_POLL_MAX_INTERVAL_MS: "250" },
});

/** Every change event the app emits while a test runs, through a listener registered as the catalogue will. */
let events: ImageChangeEvent[];
let stopListening: () => void;
beforeEach(() => {
  events = [];
  stopListening = listen(stack, (event) => {
    events.push(event);
  });
});
afterEach(() => stopListening());

function listen(on: TestStack, listener: ChangeListener): () => void {
  return on.app.writes.events.on(listener);
}

async function updateImage(on: TestStack, input: Record<string, unknown>) {
  const answer = await on.gql<{
    updateImage: { __typename: string; image?: { imageId: string }; previousImageId?: string | null };
  }>(UPDATE, {
    input,
  });
  return answer.data?.updateImage;
}

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let tries = 0; !(await check()); tries++) {
    if (tries > 400) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe("change events of image mutations", () => {
  it("updateImage emits one 'updated' event with the record after the change", async () => {
    const image = await uploaded(stack.emulator, { creator: "before" });
    expect(await updateImage(stack, { imageId: image.id, creator: "after" })).toMatchObject({
      __typename: "UpdateImagePayload",
    });
    expect(events).toEqual([
      {
        kind: "updated",
        imageId: image.id,
        image: expect.objectContaining({ id: image.id, creator: "after" }),
        tenant: "",
      },
    ]);
  });

  it("deleteImage emits one 'deleted' event without a record", async () => {
    const image = await uploaded(stack.emulator);
    expect((await stack.gql<{ deleteImage: unknown }>(DELETE, { id: image.id })).data?.deleteImage).toEqual({
      __typename: "DeleteImagePayload",
    });
    expect(events).toEqual([{ kind: "deleted", imageId: image.id, tenant: "" }]);
  });

  it("uploadImage by file emits one 'created' event with the new image", async () => {
    const answer = await gqlMultipart<UploadResult>(stack, UPLOAD_IMAGE, { input: { file: null, creator: "ada" } }, [
      { path: "variables.input.file", bytes: samplePng(6, 4), name: "new.png", type: "image/png" },
    ]);
    const imageId = answer.data?.uploadImage.image?.imageId;
    expect(imageId).toEqual(expect.any(String));
    expect(events).toEqual([
      {
        kind: "created",
        imageId,
        image: expect.objectContaining({ id: imageId, filename: "new.png", creator: "ada", draft: false }),
        tenant: "",
      },
    ]);
  });

  it("uploadImage by URL emits one 'created' event once the upstream answers", async () => {
    const source = await uploaded(stack.emulator);
    const url = source.variants.find((v) => v.endsWith("/public"));
    const answer = await stack.gql<UploadResult>(UPLOAD_IMAGE, { input: { url } });
    const imageId = answer.data?.uploadImage.image?.imageId;
    expect(imageId).not.toBe(source.id);
    expect(events).toEqual([{ kind: "created", imageId, image: expect.objectContaining({ id: imageId }), tenant: "" }]);
  });

  it("awaits the listeners before the mutation's response is sent", async () => {
    const image = await uploaded(stack.emulator);
    const order: string[] = [];
    const stop = listen(stack, async () => {
      await sleep(200);
      order.push("listener finished");
    });
    try {
      await updateImage(stack, { imageId: image.id, creator: "slow listener" });
      order.push("response arrived");
    } finally {
      stop();
    }
    expect(order).toEqual(["listener finished", "response arrived"]);
  });

  it("emits nothing when the upstream refuses or fails the write", async () => {
    const image = await uploaded(stack.emulator);
    expect(await updateImage(stack, { imageId: "missing/one", creator: "x" })).toMatchObject({
      __typename: "NotFoundError",
    });
    await stack.emulator.admin("POST", "/faults", { method: "PATCH", route: IMAGE_ROUTE, count: 1, status: 503 });
    expect(await updateImage(stack, { imageId: image.id, creator: "x" })).toMatchObject({
      __typename: "UpstreamError",
      status: 503,
    });
    await stack.emulator.admin("POST", "/faults", { method: "DELETE", route: IMAGE_ROUTE, count: 1, status: 500 });
    expect((await stack.gql<{ deleteImage: unknown }>(DELETE, { id: image.id })).data?.deleteImage).toEqual({
      __typename: "UpstreamError",
    });
    expect(events).toEqual([]);
  });

  it("a throwing listener is logged and fails neither the write nor the listeners after it", async () => {
    const image = await uploaded(stack.emulator);
    stopListening();
    const stopThrowing = listen(stack, () => {
      throw new Error("the listener broke");
    });
    stopListening = listen(stack, (event) => {
      events.push(event);
    });
    try {
      expect(await updateImage(stack, { imageId: image.id, creator: "still written" })).toMatchObject({
        __typename: "UpdateImagePayload",
      });
    } finally {
      stopThrowing();
    }
    expect(events).toMatchObject([{ kind: "updated", imageId: image.id, image: { creator: "still written" } }]);
    const failed = logs.lines().filter((line) => line.msg === "A change event's listener failed.");
    expect(failed).toMatchObject([{ change: "updated", imageId: image.id, err: { message: "the listener broke" } }]);
  });

  it("variant and signing key writes emit no image event", async () => {
    const variant = `mutation { createVariant(input: {
      name: "thumb", options: { fit: COVER, width: 10, height: 10, metadata: NONE }
    }) { __typename } }`;
    expect((await stack.gql(variant)).data).toEqual({ createVariant: { __typename: "CreateVariantPayload" } });
    const removed = await stack.gql(`mutation { deleteVariant(input: { name: "thumb" }) { __typename } }`);
    expect(removed.data).toEqual({ deleteVariant: { __typename: "DeleteVariantPayload" } });
    const key = await stack.gql(`mutation { createSigningKey(input: { name: "extra" }) { __typename } }`);
    expect(key.data).toEqual({ createSigningKey: { __typename: "CreateSigningKeyPayload" } });
    expect(events).toEqual([]);
  });
});

describe("change events of direct uploads", () => {
  it("emit nothing for the draft, and 'created' once a watched draft gets its file", async () => {
    const created = await stack.gql<{ createDirectUpload: { uploadURL: string; image: { imageId: string } } }>(
      CREATE_DRAFT,
    );
    const draft = created.data?.createDirectUpload;
    if (!draft) throw new Error(`no draft: ${created.text}`);
    expect(events).toEqual([]);

    await stack.emulator.reset();
    const sub = await subscribe(stack.server.url, READY, { id: draft.image.imageId });
    await until(async () => ((await stack.emulator.counts())[GET_IMAGE] ?? 0) >= 1, "the watch's first look");
    const form = new FormData();
    form.append("file", new Blob([samplePng(8, 6)], { type: "image/png" }), "snap.png");
    expect((await fetch(draft.uploadURL, { method: "POST", body: form })).status).toBe(200);

    expect(await sub.next()).toMatchObject({ data: { imageReady: { imageId: draft.image.imageId, draft: false } } });
    expect(events).toEqual([
      {
        kind: "created",
        imageId: draft.image.imageId,
        image: expect.objectContaining({ id: draft.image.imageId, draft: false, filename: "snap.png" }),
        tenant: "",
      },
    ]);
  });
});

describe("change events when the upstream gives the image a new id", () => {
  it("emits one 'updated' event with the new id and the previous one", async () => {
    const renaming = await startTestStack({ emulator: { newIdOnSignedUrlsChange: true }, env: { CACHE: "on" } });
    const seen: ImageChangeEvent[] = [];
    listen(renaming, (event) => {
      seen.push(event);
    });
    try {
      const image = await uploaded(renaming.emulator);
      const answer = await updateImage(renaming, { imageId: image.id, requireSignedURLs: true });
      expect(answer).toMatchObject({ __typename: "UpdateImagePayload", previousImageId: image.id });
      const newId = answer?.image?.imageId;
      expect(newId).not.toBe(image.id);
      expect(seen).toEqual([
        {
          kind: "updated",
          imageId: newId,
          previousImageId: image.id,
          image: expect.objectContaining({ id: newId, requireSignedURLs: true }),
          tenant: "",
        },
      ]);
    } finally {
      await renaming.close();
    }
  });
});
