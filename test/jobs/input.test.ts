import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../support/server.ts";
import {
  BULK_JOB,
  CANCEL,
  DELETE_IMAGES,
  IMPORT_IMAGES,
  type JobView,
  tempDir,
  UPDATE_IMAGES,
  waitFor,
} from "./fixtures.ts";

const sha256 = (secret: string) => createHash("sha256").update(secret).digest("hex");
const as = (secret: string) => ({ authorization: `Bearer ${secret}` });
const ALICE = as("alice-secret");
const BOB = as("bob-secret");
const WRITER = as("writer-secret");

let stack: TestStack;
const dir = tempDir();

beforeAll(async () => {
  stack = await startTestStack({
    emulator: { seed: true },
    env: {
      CATALOGUE: "on",
      CATALOGUE_DIR: dir.path,
      CATALOGUE_DELTA_SECONDS: "0",
      BULK_MAX_ITEMS: "5",
      BULK_POLL_MS: "20",
      AUTH_MODE: "api-key",
      API_KEYS: [
        `alice:${sha256("alice-secret")}:images:read+images:write+images:bulk`,
        `bob:${sha256("bob-secret")}:images:read+images:write+images:bulk`,
        `writer:${sha256("writer-secret")}:images:read+images:write`,
      ].join(","),
    },
  });
  await waitFor(
    async () => (await stack.gql<{ catalogue: { status: string } }>("{ catalogue { status } }", {}, ALICE)).data,
    (data) => data?.catalogue.status === "READY",
    "the catalogue",
  );
});

afterAll(async () => {
  await stack.close();
  dir.remove();
});

const codeOf = (answer: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  answer.errors?.[0]?.extensions?.code;

async function deleteJob(ids: string[], headers = ALICE): Promise<JobView> {
  const answer = await stack.gql<{ deleteImages: { job: JobView } }>(
    DELETE_IMAGES,
    { input: { imageIds: ids } },
    headers,
  );
  expect(answer.errors).toBeUndefined();
  return answer.data?.deleteImages.job as JobView;
}

describe("bulk mutations refuse bad input before anything runs", () => {
  it.each([
    ["an empty selection", DELETE_IMAGES, { input: { imageIds: [] } }],
    ["both ids and a filter", DELETE_IMAGES, { input: { imageIds: ["a"], filter: { creator: "x" } } }],
    ["neither ids nor a filter", DELETE_IMAGES, { input: {} }],
    ["more than BULK_MAX_ITEMS ids", DELETE_IMAGES, { input: { imageIds: ["a", "b", "c", "d", "e", "f"] } }],
    ["a filter matching nothing", DELETE_IMAGES, { input: { filter: { creator: "nobody-at-all" } } }],
    ["a URL that is not http(s)", IMPORT_IMAGES, { input: { items: [{ url: "ftp://127.0.0.1/a.png" }] } }],
    [
      "metadata over 1,024 bytes",
      UPDATE_IMAGES,
      { input: { imageIds: ["a"], set: { metadata: { big: "x".repeat(1100) } } } },
    ],
    ["an update that sets nothing", UPDATE_IMAGES, { input: { imageIds: ["a"], set: {} } }],
    [
      "a custom id that requires signed URLs",
      IMPORT_IMAGES,
      { input: { items: [{ url: "http://127.0.0.1/a.png", id: "a/b", requireSignedURLs: true }] } },
    ],
  ])("%s → BAD_USER_INPUT", async (_what, document, variables) => {
    const answer = await stack.gql(document, variables, ALICE);
    expect(codeOf(answer)).toBe("BAD_USER_INPUT");
    expect(answer.status).toBeLessThan(500);
  });

  it("needs the images:bulk scope besides images:write", async () => {
    const answer = await stack.gql(DELETE_IMAGES, { input: { imageIds: ["a"] } }, WRITER);
    expect(codeOf(answer)).toBe("FORBIDDEN");
    expect(await stack.emulator.counts()).not.toHaveProperty(["DELETE /accounts/{account_id}/images/v1/{image_id}"]);
  });
});

describe("jobs per tenant", () => {
  it("counts unknown ids as failures, shows a job only to its tenant, and cancels a finished job as a no-op", async () => {
    const list = await stack.emulator.api<{ images: { id: string }[] }>("GET", "/v2?per_page=10");
    const existing = list.body.result.images[0]?.id as string;
    const job = await deleteJob([existing, "no-such-image"]);
    expect(job.total).toBe(2);

    const last = await waitFor(
      async () => (await stack.gql<{ bulkJob: JobView }>(BULK_JOB, { id: job.id }, ALICE)).data?.bulkJob as JobView,
      (j) => j.state === "FAILED" || j.state === "SUCCEEDED",
      "the job",
    );
    expect(last).toMatchObject({ state: "FAILED", done: 1, failed: 1 });
    expect(last.failures?.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ item: "no-such-image", code: "NOT_FOUND" }),
    ]);

    const asBob = await stack.gql(BULK_JOB, { id: job.id }, BOB);
    expect(codeOf(asBob)).toBe("NOT_FOUND");
    const bobCancels = await stack.gql(CANCEL, { id: job.id }, BOB);
    expect(codeOf(bobCancels)).toBe("NOT_FOUND");
    const bobsList = await stack.gql<{ bulkJobs: { edges: unknown[] } }>(
      "{ bulkJobs { edges { node { id } } } }",
      {},
      BOB,
    );
    expect(bobsList.data?.bulkJobs.edges).toEqual([]);
    const alicesList = await stack.gql<{ bulkJobs: { edges: { node: { id: string } }[] } }>(
      "{ bulkJobs(first: 10) { edges { node { id } } } }",
      {},
      ALICE,
    );
    expect(alicesList.data?.bulkJobs.edges.map((e) => e.node.id)).toContain(job.id);

    const cancelled = await stack.gql<{ cancelBulkJob: { job: JobView } }>(CANCEL, { id: job.id }, ALICE);
    expect(cancelled.data?.cancelBulkJob.job).toMatchObject({ state: "FAILED", done: 1, failed: 1 });
  });

  it("refuses a malformed job id with BAD_USER_INPUT", async () => {
    const answer = await stack.gql(BULK_JOB, { id: "not-a-global-id" }, ALICE);
    expect(codeOf(answer)).toBe("BAD_USER_INPUT");
  });
});

describe("without a durable store", () => {
  it("refuses bulk mutations, naming CATALOGUE_DIR and DATABASE_URL", async () => {
    const memory = await startTestStack({
      emulator: { seed: true },
      env: { CATALOGUE: "on", CATALOGUE_DELTA_SECONDS: "0" },
    });
    try {
      const answer = await memory.gql(DELETE_IMAGES, { input: { imageIds: ["a"] } });
      expect(codeOf(answer)).toBe("BAD_USER_INPUT");
      expect(answer.errors?.[0]?.message).toMatch(/CATALOGUE_DIR.*DATABASE_URL/);
    } finally {
      await memory.close();
    }
  });
});
