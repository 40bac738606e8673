import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { startTestPostgres, type TestPostgres } from "../support/postgres.ts";
import { killServerProcesses } from "../support/server-process.ts";
import {
  catalogueReady,
  finished,
  gql,
  type JobView,
  jobOf,
  seed,
  startJobServer,
  UPDATE_IMAGES,
  upstreamImages,
  waitFor,
} from "./fixtures.ts";

const SELECTED = 500;
const COUNT = `query($filter: ImageFilter) { images(filter: $filter, first: 1) { totalCount } }`;

let postgres: TestPostgres;
let emulator: TestEmulator;
let album: string[];
let others: string[];

beforeAll(async () => {
  postgres = await startTestPostgres();
  emulator = await startTestEmulator({ seed: false, rateLimit: true });
  album = await seed(emulator, { count: SELECTED, creator: "photographer", meta: { album: "alps" } });
  others = await seed(emulator, { count: 50, creator: "photographer", meta: { album: "sea" } });
}, 60_000);

afterAll(async () => {
  killServerProcesses();
  await emulator.close();
  await postgres.close();
});

describe("replicas sharing PostgreSQL", () => {
  it("update 500 images by filter; one replica killed half-way, the other finishes; read back through it", async () => {
    const env = { DATABASE_URL: await postgres.createDatabase(), BULK_CALLS_PER_SECOND: "60" };
    const a = await startJobServer(emulator, env);
    const b = await startJobServer(emulator, { ...env, BULK_CONCURRENCY: "4" });
    await catalogueReady(a);
    await catalogueReady(b);

    const filter = { meta: [{ path: "album", op: "EQ", value: "alps" }] };
    const made = await gql<{ updateImages: { job: JobView } }>(a, UPDATE_IMAGES, {
      input: { filter, set: { metadata: { album: "alps", edited: true }, creator: "studio" } },
    });
    expect(made.errors).toBeUndefined();
    const job = made.data?.updateImages.job as JobView;
    expect(job.total).toBe(SELECTED);

    // Both replicas run it: every item goes to one of them (SKIP LOCKED).
    await waitFor(
      () => jobOf(b, job.id),
      (j) => j.done >= SELECTED / 2,
      "half of the job",
    );
    a.process.kill("SIGKILL");
    await a.exited;

    const last = await waitFor(() => jobOf(b, job.id), finished, "the other replica to finish the job");
    expect(last).toMatchObject({ state: "SUCCEEDED", total: SELECTED, done: SELECTED, failed: 0 });

    // Read back through the replica that did not make the job: its catalogue is the shared one.
    const counted = await gql<{ images: { totalCount: number } }>(b, COUNT, { filter: { creator: "studio" } });
    expect(counted.data?.images.totalCount).toBe(SELECTED);
    const account = await upstreamImages(emulator);
    for (const id of album)
      expect(account.get(id)).toMatchObject({ creator: "studio", meta: { album: "alps", edited: true } });
    for (const id of others) expect(account.get(id)).toMatchObject({ creator: "photographer", meta: { album: "sea" } });
  }, 120_000);
});
