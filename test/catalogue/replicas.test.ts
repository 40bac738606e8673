import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { startTestPostgres, type TestPostgres } from "../support/postgres.ts";
import { closeReplicas, type Replica, startReplicas } from "../support/replicas.ts";
import { killServerProcesses, startServerProcess } from "../support/server-process.ts";
import { catalogueReady, IMAGES, type ImagesAnswer } from "./fixtures.ts";

const LIST = "/accounts/{account_id}/images/v2";
const UPDATE = `
  mutation($input: UpdateImageInput!) {
    updateImage(input: $input) { __typename ... on UpdateImagePayload { image { imageId } } }
  }
`;

let postgres: TestPostgres;
let emulator: TestEmulator | undefined;
let replicas: Replica[] = [];

beforeAll(async () => {
  postgres = await startTestPostgres();
}, 60_000);
afterAll(() => postgres.close());
afterEach(async () => {
  killServerProcesses();
  await closeReplicas(replicas);
  replicas = [];
  await emulator?.close();
  emulator = undefined;
});

async function start(count: number, env: Record<string, string> = {}): Promise<Replica[]> {
  const url = await postgres.createDatabase();
  emulator = await startTestEmulator();
  await emulator.admin("POST", "/images", { count });
  replicas = await startReplicas(emulator, 3, {
    CATALOGUE: "on",
    DATABASE_URL: url,
    CATALOGUE_DELTA_SECONDS: "0",
    ...env,
  });
  for (const replica of replicas) await catalogueReady(replica.gql);
  return replicas;
}

const search = async (replica: Replica, text: string) => {
  const answer = await replica.gql<ImagesAnswer>(IMAGES, { search: text });
  return { ids: answer.data?.images.edges.map((e) => e.node.imageId), errors: answer.errors };
};

describe("replicas over one PostgreSQL", () => {
  it("share one index, swept once: a write through one is found by a search on each other", async () => {
    const [a, b, c] = (await start(30)) as [Replica, Replica, Replica];
    // One sweep for the three: the others found the index complete (or waited for the lock).
    const listCalls = [a, b, c]
      .flatMap((r) => r.events)
      .filter((e) => e.type === "response" && e.route.endsWith("/v2"));
    expect(listCalls).toHaveLength(1);
    const first = (await a.gql<ImagesAnswer>(IMAGES, { orderBy: { field: "ID", direction: "ASC" }, first: 1 })).data
      ?.images.edges[0]?.node.imageId as string;
    await emulator?.reset();
    const written = await a.gql(UPDATE, { input: { imageId: first, metadata: { label: "written-through-a" } } });
    expect(written.errors).toBeUndefined();
    // Nothing synced in between (no list call): the write was in PostgreSQL when its answer left.
    expect(await b.gql("{ catalogue { status } }")).toMatchObject({ data: { catalogue: { status: "READY" } } });
    expect((await search(b, "written-through-a")).ids).toEqual([first]);
    expect((await search(c, "written-through-a")).ids).toEqual([first]);
    expect((await emulator?.counts())?.[`GET ${LIST}`]).toBeUndefined();
  });

  it("PostgreSQL down: searches get a typed error, upstream-servable queries work; back: recovery without restart", async () => {
    const [a] = (await start(10)) as [Replica];
    await postgres.stop();
    try {
      const down = await search(a, "bulk");
      expect(down.errors?.[0]?.extensions).toMatchObject({
        code: "UPSTREAM_UNAVAILABLE",
        reason: "CATALOGUE_UNAVAILABLE",
      });
      const upstream = await a.gql<ImagesAnswer>("{ images(first: 3) { edges { node { imageId } } } }");
      expect(upstream.errors).toBeUndefined();
      expect(upstream.data?.images.edges).toHaveLength(3);
    } finally {
      await postgres.start();
    }
    await expect.poll(async () => (await search(a, "bulk")).ids?.length, { timeout: 15_000, interval: 200 }).toBe(10);
  });

  it("a replica killed mid-sweep leaves the index consistent; the next sweep completes it", async () => {
    const url = await postgres.createDatabase();
    emulator = await startTestEmulator();
    await emulator.admin("POST", "/images", { count: 100 });
    await emulator.admin("POST", "/latency", { route: LIST, ms: 150 });
    await emulator.reset({ data: false });
    await emulator.admin("POST", "/latency", { route: LIST, ms: 150 });
    const doomed = await startServerProcess(emulator, {
      CATALOGUE: "on",
      DATABASE_URL: url,
      CATALOGUE_SWEEP_PAGE_SIZE: "10",
    });
    await expect
      .poll(async () => (await emulator?.counts())?.[`GET ${LIST}`] ?? 0, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(3);
    doomed.process.kill("SIGKILL");
    await doomed.exited;
    await emulator.admin("POST", "/latency", { route: LIST, ms: 0 });
    // It died with part of the account written and the sweep unrecorded.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const partial = Number((await db.query("SELECT COUNT(*) AS n FROM images")).rows[0].n);
    const recorded = (await db.query("SELECT complete FROM catalogue_sync")).rows;
    await db.end();
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(100);
    expect(recorded.every((row) => row.complete === false)).toBe(true);

    // Its session is gone, and its advisory lock with it: a replica that starts now sweeps.
    replicas = await startReplicas(emulator, 1, { CATALOGUE: "on", DATABASE_URL: url, CATALOGUE_DELTA_SECONDS: "0" });
    const [survivor] = replicas as [Replica];
    await catalogueReady(survivor.gql);
    const all = await survivor.gql<ImagesAnswer>(IMAGES, { orderBy: { field: "ID", direction: "ASC" }, first: 500 });
    expect(all.errors).toBeUndefined();
    const ids = all.data?.images.edges.map((e) => e.node.imageId) ?? [];
    expect(all.data?.images.totalCount).toBe(100);
    expect(new Set(ids).size).toBe(100);
  });
});
