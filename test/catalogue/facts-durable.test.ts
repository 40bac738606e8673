import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { jpeg, png } from "../support/facts-files.ts";
import { uploaded } from "../support/images.ts";
import { startTestPostgres, type TestPostgres } from "../support/postgres.ts";
import { closeReplicas, startReplicas } from "../support/replicas.ts";
import { killServerProcesses, postGraphQL, startServerProcess } from "../support/server-process.ts";
import { gqlMultipart } from "../support/uploads.ts";

const BLOB = "GET /accounts/{account_id}/images/v1/{image_id}/blob";
const READ = `query ($id: ID!) { image(imageId: $id) { width height byteSize factsStatus } }`;

interface Read {
  image: { width: number | null; height: number | null; byteSize: number | null; factsStatus: string };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

let emulator: TestEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterEach(() => killServerProcesses());
afterAll(async () => {
  await emulator.close();
});

describe("facts in the catalogue's store survive a restart (CATALOGUE_DIR)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "facts-durable-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a restarted server reads READY facts with no blob download", async () => {
    const env = { CATALOGUE: "on", CATALOGUE_DIR: dir };
    const first = await startServerProcess(emulator, env);
    const file = await jpeg(90, 45);
    const answer = await gqlMultipart<{ uploadImage: { image: { imageId: string; factsStatus: string } } }>(
      { fetch: (path, init) => fetch(new URL(path, first.origin), init) },
      `mutation ($input: UploadImageInput!) {
        uploadImage(input: $input) { ... on UploadImagePayload { image { imageId factsStatus } } }
      }`,
      { input: { file: null } },
      [{ path: "variables.input.file", bytes: file.bytes, name: "kept.jpg", type: "image/jpeg" }],
    );
    const id = answer.data?.uploadImage.image.imageId as string;
    expect(answer.data?.uploadImage.image.factsStatus).toBe("READY");
    first.process.kill("SIGTERM");
    await first.exited;

    const second = await startServerProcess(emulator, env);
    await emulator.reset();
    const read = await postGraphQL<Read>(second.origin, READ, { id });
    expect(read.body.data?.image).toEqual({
      width: 90,
      height: 45,
      byteSize: file.bytes.byteLength,
      factsStatus: "READY",
    });
    expect((await emulator.counts())[BLOB]).toBeUndefined();
    second.process.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });
});

describe("replicas sharing one PostgreSQL", () => {
  let postgres: TestPostgres;
  beforeAll(async () => {
    postgres = await startTestPostgres();
  }, 60_000);
  afterAll(async () => {
    await postgres.close();
  });

  it("5 replicas reading one new image compute its facts once: one blob download in all", async () => {
    const replicas = await startReplicas(emulator, 5, {
      CATALOGUE: "on",
      DATABASE_URL: await postgres.createDatabase(),
    });
    try {
      // Every replica has migrated (its catalogue answers), so each can read and claim.
      await until(async () => {
        const answers = await Promise.all(
          replicas.map((r) => r.gql<{ catalogue: { status: string } }>("{ catalogue { status } }")),
        );
        return answers.every((a) => a.data?.catalogue.status === "READY");
      }, "every catalogue ready");
      const file = await png(61, 29);
      const id = (await uploaded(emulator, {}, { bytes: file.bytes, name: "new.png", type: "image/png" })).id;
      await emulator.reset();
      await until(async () => {
        const answers = await Promise.all(replicas.map((r) => r.gql<Read>(READ, { id })));
        return answers.every((a) => a.data?.image.factsStatus === "READY");
      }, "facts on every replica");
      await Promise.all(replicas.map((r) => r.app.facts?.backfill.whenIdle()));
      expect((await emulator.counts())[BLOB]).toBe(1);
      expect(replicas.reduce((sum, r) => sum + (r.app.facts?.backfill.counts.computed ?? 0), 0)).toBe(1);
      const answers = await Promise.all(replicas.map((r) => r.gql<Read>(READ, { id })));
      for (const answer of answers) expect(answer.data?.image).toMatchObject({ width: 61, height: 29 });
    } finally {
      await closeReplicas(replicas);
    }
  });
});
