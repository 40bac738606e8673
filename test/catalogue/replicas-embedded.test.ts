import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { startTestRedis, type TestRedis } from "../support/redis.ts";
import { closeReplicas, type Replica, startReplicas } from "../support/replicas.ts";
import { catalogueReady, IMAGES, type ImagesAnswer } from "./fixtures.ts";

let redis: TestRedis;
let emulator: TestEmulator;
let replicas: Replica[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  emulator = await startTestEmulator();
  await emulator.admin("POST", "/images", { count: 10 });
  replicas = await startReplicas(emulator, 2, { CATALOGUE: "on", REDIS_URL: redis.url, CATALOGUE_DELTA_SECONDS: "0" });
  for (const replica of replicas) await catalogueReady(replica.gql);
}, 60_000);
afterAll(async () => {
  await closeReplicas(replicas);
  await emulator.close();
  await redis.close();
});

describe("replicas with an embedded catalogue each, sharing a Redis", () => {
  it("apply each other's writes without a sweep", async () => {
    const [a, b] = replicas as [Replica, Replica];
    const listed = await a.gql<ImagesAnswer>(IMAGES, { orderBy: { field: "ID", direction: "ASC" }, first: 1 });
    const id = listed.data?.images.edges[0]?.node.imageId as string;
    await emulator.reset();
    const written = await a.gql(
      `mutation($id: ID!) { updateImage(input: { imageId: $id, metadata: { note: "relayed-through-redis" } }) { __typename } }`,
      { id },
    );
    expect(written.errors).toBeUndefined();
    const search = async () =>
      (await b.gql<ImagesAnswer>(IMAGES, { search: "relayed-through-redis" })).data?.images.edges.map(
        (e) => e.node.imageId,
      );
    await expect.poll(search, { timeout: 5000, interval: 50 }).toEqual([id]);
    expect((await emulator.counts())["GET /accounts/{account_id}/images/v2"]).toBeUndefined();
  });
});
