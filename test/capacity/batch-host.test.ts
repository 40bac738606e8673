import { afterEach, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { closeReplicas, type Replica, startReplicas, upstreamStatuses } from "../support/replicas.ts";
import { startTestStack, type TestStack } from "../support/server.ts";
import { gqlMultipart, UPLOAD_IMAGE, type UploadResult } from "../support/uploads.ts";

const TOKEN_ROUTE = "GET /accounts/{account_id}/images/v1/batch_token";
const GLOBAL_DETAILS = "GET /accounts/{account_id}/images/v1/{image_id}";
const BATCH_DETAILS = "GET /batch/images/v1/{image_id}";
const READ = `query($id: ID!) { image(imageId: $id) { imageId filename } }`;

let emulator: TestEmulator | undefined;
let replicas: Replica[] = [];
let stack: TestStack | undefined;

afterEach(async () => {
  await closeReplicas(replicas);
  replicas = [];
  await stack?.close();
  stack = undefined;
  await emulator?.close();
  emulator = undefined;
});

async function bulkImages(target: TestEmulator, count: number): Promise<string[]> {
  const answer = await target.admin("POST", "/images", { count });
  return ((await answer.json()) as { ids: string[] }).ids;
}

async function start(env: Record<string, string> = {}, options: Parameters<typeof startTestEmulator>[0] = {}) {
  emulator = await startTestEmulator(options);
  replicas = await startReplicas(emulator, 1, env);
  const [replica] = replicas;
  if (!replica) throw new Error("no replica");
  return { emulator, replica };
}

describe("the batch host", () => {
  it("serves image details and the v2 list, with one batch token for concurrent first calls", async () => {
    const { emulator, replica } = await start();
    const ids = await bulkImages(emulator, 20);
    await emulator.reset();
    const answers = await Promise.all(ids.map((id) => replica.gql<{ image: { imageId: string } }>(READ, { id })));
    expect(answers.map((a) => a.data?.image.imageId)).toEqual(ids);
    const list = await replica.gql<{ images: { edges: unknown[] } }>(`{ images(first: 5) { edges { cursor } } }`);
    expect(list.data?.images.edges).toHaveLength(5);
    expect(await emulator.counts()).toEqual({ [TOKEN_ROUTE]: 1, [BATCH_DETAILS]: 20, "GET /batch/images/v2": 1 });
    expect(replica.app.transport.batchTokenFetches).toBe(1);
  });

  it("serves update, delete, upload and direct upload", async () => {
    const { emulator, replica } = await start();
    const [id] = await bulkImages(emulator, 1);
    await emulator.reset();
    const updated = await replica.gql<{ updateImage: { __typename: string } }>(
      `mutation($id: ID!) { updateImage(input: { imageId: $id, creator: "ada" }) { __typename } }`,
      { id },
    );
    expect(updated.data?.updateImage.__typename).toBe("UpdateImagePayload");
    const direct = await replica.gql<{ createDirectUpload: { __typename: string } }>(
      `mutation { createDirectUpload(input: {}) { __typename } }`,
    );
    expect(direct.data?.createDirectUpload.__typename).toBe("CreateDirectUploadPayload");
    const uploadStack = { fetch: (path: string, init?: RequestInit) => fetch(new URL(path, replica.server.url), init) };
    const upload = await gqlMultipart<UploadResult>(uploadStack, UPLOAD_IMAGE, { input: { file: null } }, [
      { path: "variables.input.file", bytes: samplePng(4, 4), name: "a.png", type: "image/png" },
    ]);
    expect(upload.data?.uploadImage.__typename).toBe("UploadImagePayload");
    const deleted = await replica.gql<{ deleteImage: { __typename: string } }>(
      `mutation($id: ID!) { deleteImage(input: { imageId: $id }) { __typename } }`,
      { id },
    );
    expect(deleted.data?.deleteImage.__typename).toBe("DeleteImagePayload");
    expect(await emulator.counts()).toEqual({
      [TOKEN_ROUTE]: 1,
      "PATCH /batch/images/v1/{image_id}": 1,
      "POST /batch/images/v2/direct_upload": 1,
      "POST /batch/images/v1": 1,
      "DELETE /batch/images/v1/{image_id}": 1,
    });
  });

  it("renews the token before it expires, in the background, with one fetch", async () => {
    const { emulator, replica } = await start({}, { batchTokenTtlSeconds: 2 });
    const ids = await bulkImages(emulator, 40);
    await emulator.reset();
    expect((await replica.gql(READ, { id: ids[0] })).errors).toBeUndefined();
    // Past four fifths of the token's life: calls still use it while one renewal runs.
    await new Promise((resolve) => setTimeout(resolve, 1700));
    const answers = await Promise.all(ids.slice(1, 20).map((id) => replica.gql(READ, { id })));
    expect(answers.every((a) => a.errors === undefined)).toBe(true);
    await expect.poll(async () => (await emulator.counts())[TOKEN_ROUTE], { timeout: 5000 }).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const later = await Promise.all(ids.slice(20).map((id) => replica.gql(READ, { id })));
    expect(later.every((a) => a.errors === undefined)).toBe(true);
    const counts = await emulator.counts();
    expect(counts[GLOBAL_DETAILS]).toBeUndefined();
    expect(counts[BATCH_DETAILS]).toBe(40);
    expect(upstreamStatuses(replicas, "batch")).toEqual({ 200: 40 });
  });

  it("on a refused batch token fetches one fresh token and goes on, on the batch host", async () => {
    const { emulator, replica } = await start();
    const ids = await bulkImages(emulator, 2);
    await replica.gql(READ, { id: ids[0] });
    await emulator.reset();
    await emulator.admin("POST", "/faults", {
      method: "GET",
      route: "/batch/images/v1/{image_id}",
      status: 403,
      errors: [{ code: 10000, message: "Authentication error" }],
    });
    const answer = await replica.gql<{ image: { imageId: string } }>(READ, { id: ids[1] });
    expect(answer.data?.image.imageId).toBe(ids[1]);
    expect(await emulator.counts()).toEqual({ [TOKEN_ROUTE]: 1, [BATCH_DETAILS]: 2 });
  });

  it("falls back to the global API when the batch host keeps refusing its fresh token too", async () => {
    const { emulator, replica } = await start();
    const [id] = await bulkImages(emulator, 1);
    await emulator.reset();
    await emulator.admin("POST", "/faults", {
      method: "GET",
      route: "/batch/images/v1/{image_id}",
      status: 403,
      errors: [{ code: 10000, message: "Authentication error" }],
      count: 2,
    });
    const answer = await replica.gql<{ image: { imageId: string } }>(READ, { id });
    expect(answer.data?.image.imageId).toBe(id);
    expect(await emulator.counts()).toEqual({ [TOKEN_ROUTE]: 2, [BATCH_DETAILS]: 2, [GLOBAL_DETAILS]: 1 });
  });

  it("uses the global API while no batch token can be had, and does not ask for one on every call", async () => {
    const { emulator, replica } = await start();
    const ids = await bulkImages(emulator, 5);
    await emulator.reset();
    await emulator.admin("POST", "/faults", {
      method: "GET",
      route: "/accounts/{account_id}/images/v1/batch_token",
      status: 403,
      errors: [{ code: 10000, message: "Authentication error" }],
    });
    for (const id of ids) expect((await replica.gql(READ, { id })).errors).toBeUndefined();
    expect(await emulator.counts()).toEqual({ [TOKEN_ROUTE]: 1, [GLOBAL_DETAILS]: 5 });
  });

  it("is not used with UPSTREAM_BATCH=off, nor for a caller's own token in forward mode", async () => {
    const off = await start({ UPSTREAM_BATCH: "off" });
    const [id] = await bulkImages(off.emulator, 1);
    await off.emulator.reset();
    expect((await off.replica.gql(READ, { id })).errors).toBeUndefined();
    expect(await off.emulator.counts()).toEqual({ [GLOBAL_DETAILS]: 1 });

    // The server's own token differs from the caller's: batch tokens are fetched only with the server's.
    stack = await startTestStack({
      env: { UPSTREAM_BATCH: "auto", AUTH_MODE: "forward" },
      upstreamToken: "the-servers-own-token",
    });
    const [forwarded] = await bulkImages(stack.emulator, 1);
    await stack.emulator.reset();
    const answer = await stack.gql(READ, { id: forwarded }, { authorization: `Bearer ${stack.emulator.token}` });
    expect(answer.errors).toBeUndefined();
    expect(await stack.emulator.counts()).toEqual({ [GLOBAL_DETAILS]: 1 });
  });
});
