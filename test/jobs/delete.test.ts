import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { killServerProcesses } from "../support/server-process.ts";
import {
  catalogueReady,
  DELETE_IMAGES,
  finished,
  gql,
  type JobView,
  jobOf,
  seed,
  startJobServer,
  tempDir,
  upstreamImages,
  waitFor,
} from "./fixtures.ts";

const DELETE_ROUTES = ["DELETE /batch/images/v1/{image_id}", "DELETE /accounts/{account_id}/images/v1/{image_id}"];

async function deletesSoFar(emulator: TestEmulator): Promise<number> {
  const counts = await emulator.counts();
  return DELETE_ROUTES.reduce((sum, route) => sum + (counts[route] ?? 0), 0);
}
const SELECTED = 2000;
const CONCURRENCY = 16;

let emulator: TestEmulator;
const dir = tempDir();
let doomed: string[];
let kept: string[];

beforeAll(async () => {
  // The real limits: 1,200 calls per 5 minutes on the global API, 200 a second per batch token.
  emulator = await startTestEmulator({ seed: false, rateLimit: true });
  doomed = await seed(emulator, { count: SELECTED, creator: "cleanup" });
  kept = await seed(emulator, { count: 150, creator: "keeper" });
});

afterAll(async () => {
  killServerProcesses();
  await emulator.close();
  dir.remove();
});

describe("deleteImages by filter", () => {
  it("deletes exactly the 2,000 images selected, through a SIGKILL half-way and a restart", async () => {
    const env = { CATALOGUE_DIR: dir.path, BULK_CONCURRENCY: String(CONCURRENCY) };
    let server = await startJobServer(emulator, env);
    await catalogueReady(server);

    const dry = await gql<{
      deleteImages: { dryRun: boolean; matched: number; sample: { creator: string }[]; job: null };
    }>(server, DELETE_IMAGES, { input: { filter: { creator: "cleanup" }, dryRun: true } });
    expect(dry.errors).toBeUndefined();
    expect(dry.data?.deleteImages).toMatchObject({ dryRun: true, matched: SELECTED, job: null });
    expect(dry.data?.deleteImages.sample.length).toBe(10);
    expect(dry.data?.deleteImages.sample.every((image) => image.creator === "cleanup")).toBe(true);
    expect(await deletesSoFar(emulator)).toBe(0);

    const made = await gql<{ deleteImages: { job: JobView } }>(server, DELETE_IMAGES, {
      input: { filter: { creator: "cleanup" } },
    });
    expect(made.errors).toBeUndefined();
    const job = made.data?.deleteImages.job as JobView;
    expect(job).toMatchObject({ kind: "DELETE", total: SELECTED, failed: 0 });
    // Uploaded after the job was made: the selection is fixed, so this one stays.
    const late = await seed(emulator, { count: 1, creator: "cleanup" });

    await waitFor(
      () => jobOf(server, job.id),
      (j) => j.done >= SELECTED / 2,
      "half of the job",
    );
    server.process.kill("SIGKILL");
    await server.exited;

    server = await startJobServer(emulator, env);
    const last = await waitFor(() => jobOf(server, job.id), finished, "the job to finish after the restart");
    expect(last).toMatchObject({ state: "SUCCEEDED", total: SELECTED, done: SELECTED, failed: 0, skipped: 0 });

    const left = await upstreamImages(emulator);
    for (const id of doomed) expect(left.has(id)).toBe(false);
    for (const id of [...kept, ...late]) expect(left.has(id)).toBe(true);
    expect(left.size).toBe(kept.length + late.length);
    // Each image deleted once, bar the few in flight when the process died (tried again, found gone).
    const deletes = await deletesSoFar(emulator);
    expect(deletes).toBeGreaterThanOrEqual(SELECTED);
    expect(deletes).toBeLessThanOrEqual(SELECTED + 2 * CONCURRENCY);
  }, 120_000);
});
