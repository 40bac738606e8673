import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogueFactsStore } from "../../src/catalogue/facts-store.ts";
import { PostgresCatalogueStore } from "../../src/catalogue/postgres-store.ts";
import { SqliteCatalogueStore } from "../../src/catalogue/sqlite-store.ts";
import type { CatalogueStore } from "../../src/catalogue/store.ts";
import type { FactsRecord } from "../../src/facts/facts.ts";
import { LayeredFactsStore } from "../../src/facts/layered-store.ts";
import { RedisFactsStore } from "../../src/facts/redis-store.ts";
import { type FactsStore, InProcessFactsStore } from "../../src/facts/store.ts";
import { startTestPostgres, type TestPostgres } from "../support/postgres.ts";
import { startTestRedis, type TestRedis } from "../support/redis.ts";

const READY: FactsRecord = {
  status: "READY",
  facts: {
    width: 3,
    height: 2,
    byteSize: 10,
    sourceFormat: "PNG",
    animated: false,
    hasAlpha: false,
    contentHash: "ab",
    placeholder: { thumbhash: "x", dataURL: "data:image/png;base64,", dominantColor: "#000000" },
  },
};
const FAILED: FactsRecord = { status: "FAILED", reason: "truncated", byteSize: 5 };

let redis: TestRedis;
let postgres: TestPostgres;
const opened: FactsStore[] = [];
const catalogues: CatalogueStore[] = [];
beforeAll(async () => {
  [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres()]);
}, 60_000);
afterAll(async () => {
  for (const store of opened) await store.close();
  for (const store of catalogues) await store.close();
  await Promise.all([redis.close(), postgres.close()]);
});

async function catalogueFacts(store: CatalogueStore): Promise<FactsStore> {
  catalogues.push(store);
  await store.migrate();
  return new CatalogueFactsStore(store.facts, { claimSeconds: 60 });
}

describe.each(["in process", "redis", "catalogue (node:sqlite)", "catalogue (PostgreSQL)"])(
  "FactsStore contract: %s",
  (kind) => {
    // Two handles on one store, as two replicas have: one object in process, two clients of one Redis.
    let a: FactsStore;
    let b: FactsStore;
    beforeAll(async () => {
      if (kind === "in process") {
        a = new InProcessFactsStore({ maxEntries: 100, claimSeconds: 60 });
        b = a;
        return;
      }
      if (kind === "catalogue (node:sqlite)") {
        a = await catalogueFacts(new SqliteCatalogueStore());
        b = a;
        return;
      }
      if (kind === "catalogue (PostgreSQL)") {
        // Two pools on one database, as two replicas sharing DATABASE_URL.
        const url = await postgres.createDatabase();
        a = await catalogueFacts(new PostgresCatalogueStore(url));
        b = await catalogueFacts(new PostgresCatalogueStore(url));
        return;
      }
      const accountId = `acc-${kind}`;
      a = new RedisFactsStore({ redisUrl: redis.url, accountId, claimSeconds: 60 });
      b = new RedisFactsStore({ redisUrl: redis.url, accountId, claimSeconds: 60 });
      opened.push(a, b);
      // The clients fail fast until connected: wait until one answers.
      for (let i = 0; i < 100 && !(await a.claim("probe", String(i))); i++) await new Promise((r) => setTimeout(r, 20));
      for (let i = 0; i < 100 && !(await b.claim("probe", `b${i}`)); i++) await new Promise((r) => setTimeout(r, 20));
    });

    it("gives a claim to one caller only, until put ends it; then nobody claims a known image", async () => {
      const claims = await Promise.all([a.claim("s", "img1"), b.claim("s", "img1"), a.claim("s", "img1")]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      await b.put("s", "img1", READY);
      expect(await a.claim("s", "img1")).toBe(false);
      expect((await a.getMany("s", ["img1", "other"])).get("img1")).toEqual(READY);
      expect((await a.getMany("s", ["img1", "other"])).has("other")).toBe(false);
    });

    it("keeps scopes apart, and ids holding any character", async () => {
      await a.put("tenant-1", "a/b:c", FAILED);
      expect((await b.getMany("tenant-1", ["a/b:c"])).get("a/b:c")).toEqual(FAILED);
      expect((await b.getMany("tenant-2", ["a/b:c"])).size).toBe(0);
      expect(await b.claim("tenant-2", "a/b:c")).toBe(true);
    });

    it("lets a released claim be taken again, and forgets a record", async () => {
      expect(await a.claim("s", "img2")).toBe(true);
      expect(await b.claim("s", "img2")).toBe(false);
      await a.release("s", "img2");
      expect(await b.claim("s", "img2")).toBe(true);
      await b.put("s", "img2", READY);
      await a.forget("s", "img2");
      expect((await b.getMany("s", ["img2"])).size).toBe(0);
      expect(await b.claim("s", "img2")).toBe(true);
    });
  },
);

describe("replicas each with an embedded catalogue, sharing Redis", () => {
  it("claim through Redis, and copy a record another replica computed into their own store on reading it", async () => {
    const [tableA, tableB] = [new SqliteCatalogueStore(), new SqliteCatalogueStore()];
    catalogues.push(tableA, tableB);
    const replica = async (table: SqliteCatalogueStore) => {
      await table.migrate();
      const shared = new RedisFactsStore({ redisUrl: redis.url, accountId: "acc-layered", claimSeconds: 60 });
      opened.push(shared);
      for (let i = 0; i < 100 && !(await shared.claim("probe", String(i))); i++)
        await new Promise((r) => setTimeout(r, 20));
      return new LayeredFactsStore(new CatalogueFactsStore(table.facts, { claimSeconds: 60 }), shared);
    };
    const a = await replica(tableA);
    const b = await replica(tableB);
    const claims = await Promise.all([a.claim("server", "img"), b.claim("server", "img")]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    await a.put("server", "img", READY);
    expect((await tableA.facts.getMany("", ["img"])).get("img")).toEqual(READY);
    expect((await tableB.facts.getMany("", ["img"])).size).toBe(0);
    expect((await b.getMany("server", ["img"])).get("img")).toEqual(READY);
    // Now in B's own catalogue, where its filters and orders read it.
    expect((await tableB.facts.getMany("", ["img"])).get("img")).toEqual(READY);
    expect(await b.claim("server", "img")).toBe(false);
  });
});

describe("claims lapse", () => {
  it("in the catalogue's store too", async () => {
    let now = 1_000_000;
    const table = new SqliteCatalogueStore();
    catalogues.push(table);
    await table.migrate();
    const store = new CatalogueFactsStore(table.facts, { claimSeconds: 120, now: () => now });
    expect(await store.claim("s", "x")).toBe(true);
    now += 119_000;
    expect(await store.claim("s", "x")).toBe(false);
    now += 2_000;
    expect(await store.claim("s", "x")).toBe(true);
  });

  it("the catalogue's store out of reach knows nothing and claims nothing", async () => {
    const table = new SqliteCatalogueStore();
    await table.migrate();
    const store = new CatalogueFactsStore(table.facts, { claimSeconds: 120 });
    await table.close();
    expect(await store.claim("s", "x")).toBe(false);
    expect((await store.getMany("s", ["x"])).size).toBe(0);
    await store.put("s", "x", READY);
  });

  it("a claim held by a process that died lapses after FACTS_CLAIM_SECONDS", async () => {
    let now = 1_000_000;
    const store = new InProcessFactsStore({ maxEntries: 10, claimSeconds: 120, now: () => now });
    expect(await store.claim("s", "x")).toBe(true);
    now += 119_000;
    expect(await store.claim("s", "x")).toBe(false);
    now += 2_000;
    expect(await store.claim("s", "x")).toBe(true);
  });
});
