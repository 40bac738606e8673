import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteCatalogueStore } from "../../src/catalogue/sqlite-store.ts";
import { JobRunner } from "../../src/jobs/runner.ts";
import { SqliteJobStore } from "../../src/jobs/sqlite-job-store.ts";
import { createLogger } from "../../src/logger.ts";
import { createImagesApi, RequestBudget, Transport } from "../../src/upstream/index.ts";
import { createChangeEvents, createWrites, type ImageChangeEvent } from "../../src/writes/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { seed, waitFor } from "./fixtures.ts";

let emulator: TestEmulator;
let dir: string;

beforeAll(async () => {
  emulator = await startTestEmulator({ seed: false, rateLimit: true });
  dir = mkdtempSync(join(tmpdir(), "runner-"));
});
afterAll(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the runner", () => {
  it("applies each item through the write path on the batch host, within its pace", async () => {
    const ids = await seed(emulator, { count: 300 });
    // The catalogue's migrations make the jobs' tables in its file.
    const catalogue = new SqliteCatalogueStore(dir);
    await catalogue.migrate();
    const store = new SqliteJobStore(join(dir, "catalogue.sqlite"));
    const transport = new Transport({
      baseUrl: emulator.baseUrl,
      budget: new RequestBudget({ limit: 1000, windowSeconds: 300 }),
      batch: { baseUrl: emulator.batchBaseUrl, accountId: emulator.accountId, token: emulator.token },
      connections: 16,
      uploadConnections: 2,
      connectTimeoutMs: 5000,
      requestTimeoutMs: 10_000,
      deadlineMs: 10_000,
      retries: 2,
      retryBaseDelayMs: 10,
      maxRetryAfterSeconds: 5,
    });
    const changes: ImageChangeEvent[] = [];
    const writes = createWrites(createChangeEvents((error) => console.error(error)));
    writes.events.on((event) => {
      changes.push(event);
    });
    const runner = new JobRunner({
      store,
      writes,
      apiFor: (tenant, signal) =>
        createImagesApi(transport, emulator.accountId, emulator.token, { signal, caller: `bulk:${tenant}` }),
      settings: {
        concurrency: 8,
        callsPerSecond: 150,
        leaseMs: 2000,
        heartbeatMs: 500,
        pollMs: 20,
        maxAttempts: 3,
        retryBaseDelayMs: 20,
      },
      logger: createLogger("silent"),
    });
    await store.create({
      id: "job",
      tenant: "t",
      operation: { kind: "DELETE" },
      items: [...ids, "never-was"].map((imageId) => ({ imageId, known: imageId !== "never-was" })),
      createdAt: new Date(),
    });
    runner.start();
    const job = await waitFor(
      () => store.get("t", "job"),
      (j) => j?.state === "FAILED" || j?.state === "SUCCEEDED",
      "the job",
    );
    await runner.close();
    expect(job).toMatchObject({ state: "FAILED", total: 301, done: 300, failed: 1 });
    expect(changes.filter((c) => c.kind === "deleted")).toHaveLength(300);
    const counts = await emulator.counts();
    expect(counts["DELETE /batch/images/v1/{image_id}"]).toBe(301);
    await store.close();
    await catalogue.close();
    await transport.close();
  }, 60_000);
});
