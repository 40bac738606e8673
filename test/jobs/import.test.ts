import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { pngPart, uploaded } from "../support/images.ts";
import { killServerProcesses } from "../support/server-process.ts";
import {
  finished,
  gql,
  IMPORT_IMAGES,
  type JobView,
  jobOf,
  startJobServer,
  tempDir,
  upstreamImages,
  waitFor,
} from "./fixtures.ts";

const URLS = 200;
const EXISTING = 10;

let emulator: TestEmulator;
let images: Server;
let origin: string;
let served = 0;
const dir = tempDir();

beforeAll(async () => {
  emulator = await startTestEmulator({ seed: false, rateLimit: true });
  // The other store: a loopback HTTP server with one small PNG per path.
  images = createServer((request, response) => {
    const n = Number(/^\/photos\/(\d+)\.png$/.exec(request.url ?? "")?.[1]);
    if (!Number.isInteger(n)) {
      response.writeHead(404).end();
      return;
    }
    served += 1;
    response.writeHead(200, { "content-type": "image/png" }).end(samplePng(8, 8, n + 1));
  });
  await new Promise<void>((resolve) => images.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  // Already migrated: these custom ids exist before the job and are skipped.
  for (let n = 0; n < EXISTING; n++) await uploaded(emulator, { id: `migrated/${n}` }, pngPart(`old-${n}.png`));
});

afterAll(async () => {
  killServerProcesses();
  await emulator.close();
  await new Promise((resolve) => images.close(resolve));
  dir.remove();
});

describe("importImages", () => {
  it("imports 200 URLs once each, skips the custom ids that exist, through a SIGKILL and a restart", async () => {
    const env = { CATALOGUE_DIR: dir.path, BULK_CALLS_PER_SECOND: "40" };
    let server = await startJobServer(emulator, env);
    const items = Array.from({ length: URLS }, (_, n) => ({
      url: `${origin}/photos/${n}.png`,
      id: `migrated/${n}`,
      metadata: { source: "old-store", n },
    }));

    const dry = await gql<{ importImages: { matched: number; job: null } }>(server, IMPORT_IMAGES, {
      input: { items, dryRun: true },
    });
    expect(dry.data?.importImages).toMatchObject({ matched: URLS, job: null });
    expect(served).toBe(0);

    const made = await gql<{ importImages: { job: JobView } }>(server, IMPORT_IMAGES, { input: { items } });
    expect(made.errors).toBeUndefined();
    const job = made.data?.importImages.job as JobView;
    expect(job).toMatchObject({ kind: "IMPORT", total: URLS });

    await waitFor(
      () => jobOf(server, job.id),
      (j) => j.done + j.skipped >= URLS / 2,
      "half of the import",
    );
    server.process.kill("SIGKILL");
    await server.exited;
    server = await startJobServer(emulator, env);

    const last = await waitFor(() => jobOf(server, job.id), finished, "the import to finish");
    expect(last).toMatchObject({
      state: "SUCCEEDED",
      total: URLS,
      done: URLS - EXISTING,
      skipped: EXISTING,
      failed: 0,
    });
    const account = await upstreamImages(emulator);
    expect(account.size).toBe(URLS);
    for (let n = EXISTING; n < URLS; n++) {
      expect(account.get(`migrated/${n}`)?.meta).toEqual({ source: "old-store", n });
    }
    // The ones that existed keep what they had: skipped, not overwritten.
    expect(account.get("migrated/0")?.meta).toEqual({});
  }, 120_000);
});
