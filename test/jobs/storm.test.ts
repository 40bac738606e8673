import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { killServerProcesses, type ServerProcess } from "../support/server-process.ts";
import {
  catalogueReady,
  finished,
  gql,
  type JobView,
  jobOf,
  seed,
  startJobServer,
  tempDir,
  UPDATE_IMAGES,
  upstreamImages,
  waitFor,
} from "./fixtures.ts";

const IMAGES = 400;

let emulator: TestEmulator;
let server: ServerProcess;
const dir = tempDir();
let ids: string[];

beforeAll(async () => {
  emulator = await startTestEmulator({ seed: false, rateLimit: true });
  ids = await seed(emulator, { count: IMAGES, creator: "album", meta: { album: "summer", keep: true } });
  server = await startJobServer(emulator, { CATALOGUE_DIR: dir.path });
  await catalogueReady(server);
});

afterAll(async () => {
  killServerProcesses();
  await emulator.close();
  dir.remove();
});

describe("a 429 storm mid-job", () => {
  it("waits out every 429 and transient failure, and finishes with every item applied once", async () => {
    const made = await gql<{ updateImages: { job: JobView } }>(server, UPDATE_IMAGES, {
      input: { imageIds: ids, set: { metadata: { album: "winter" }, mergeMetadata: true } },
    });
    expect(made.errors).toBeUndefined();
    const job = made.data?.updateImages.job as JobView;
    await waitFor(
      () => jobOf(server, job.id),
      (j) => j.done >= 50,
      "the job to get going",
    );

    // Each 429 holds the whole job back for its Retry-After (a second): a dozen in a row is a storm.
    const faults = [
      { method: "PATCH", route: "/batch/images/v1/{image_id}", count: 12, status: 429, retryAfter: 1 },
      { method: "GET", route: "/batch/images/v1/{image_id}", count: 6, status: 429, retryAfter: 1 },
      { method: "PATCH", route: "/batch/images/v1/{image_id}", count: 10, status: 503 },
      { method: "PATCH", route: "/batch/images/v1/{image_id}", count: 3, drop: true },
    ];
    const injected = await emulator.admin("POST", "/faults", faults);
    expect(injected.ok).toBe(true);

    const last = await waitFor(() => jobOf(server, job.id), finished, "the job to finish through the storm");
    expect(last).toMatchObject({ state: "SUCCEEDED", total: IMAGES, done: IMAGES, failed: 0 });
    // Every fault was met (the storm really hit the job), and each image was patched once besides.
    const patches = (await emulator.counts())["PATCH /batch/images/v1/{image_id}"] ?? 0;
    expect(patches).toBeGreaterThanOrEqual(IMAGES + 12 + 10 + 3);

    const account = await upstreamImages(emulator);
    for (const id of ids) expect(account.get(id)?.meta).toEqual({ album: "winter", keep: true });
    expect(server.alive()).toBe(true);
  }, 120_000);
});
