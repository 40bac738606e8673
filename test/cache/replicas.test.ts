import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DETAIL,
  type DetailAnswer,
  eventually,
  GALLERY,
  type GalleryAnswer,
  READS,
  seedImages,
  upstreamReads,
} from "../support/cache.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { redisCommand, startTestRedis, type TestRedis } from "../support/redis.ts";
import { closeReplicas, type Replica, startReplicas } from "../support/replicas.ts";

const UPDATE = `mutation($id: ID!, $creator: String!) {
  updateImage(input: { imageId: $id, creator: $creator }) { __typename }
}`;

let redis: TestRedis;
let emulator: TestEmulator;
let replicas: Replica[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.close());
afterEach(async () => {
  await closeReplicas(replicas);
  replicas = [];
  await emulator?.close();
});

/** Three replicas with the cache on, sharing one Redis, over one emulator holding `count` images. */
async function start(env: Record<string, string> = {}, count = 30): Promise<string[]> {
  emulator = await startTestEmulator();
  const ids = await seedImages(emulator, count);
  await redisCommand(redis.port, ["FLUSHALL"]);
  replicas = await startReplicas(emulator, 3, {
    REDIS_URL: redis.url,
    UPSTREAM_BATCH: "off",
    CACHE: "on",
    CACHE_IMAGE_TTL_SECONDS: "3600",
    CACHE_LIST_TTL_SECONDS: "3600",
    ...env,
  });
  await eventually(async () => replicas.every((r) => r.app.cache?.shared === true));
  await emulator.reset();
  return ids;
}

const gallery = async (replica: Replica) => {
  const answer = await replica.gql<GalleryAnswer>(GALLERY, { first: 20 });
  expect(answer.status).toBe(200);
  expect(answer.errors).toBeUndefined();
  return answer.data as GalleryAnswer;
};
const creatorOf = async (replica: Replica, id: string) => {
  const answer = await replica.gql<DetailAnswer>(DETAIL, { id });
  expect(answer.status).toBe(200);
  expect(answer.errors).toBeUndefined();
  return answer.data?.image?.creator;
};

describe("the entity cache shared by three replicas through Redis", () => {
  it("warms every replica with one read: the others cost the upstream nothing", async () => {
    const ids = await start();
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const first = await gallery(a);
    const cost = await upstreamReads(emulator);
    expect(cost).toBe(2); // the list page and the count
    expect(await gallery(b)).toEqual(first);
    expect(await gallery(c)).toEqual(first);
    // Records primed by A's list answer B's and C's detail lookups too.
    for (const id of ids.slice(-3)) {
      expect(await creatorOf(b, id)).toBe("seed");
      expect(await creatorOf(c, id)).toBe("seed");
    }
    expect(await upstreamReads(emulator)).toBe(cost);
  });

  it("shows a write through one replica to the next read through each other one", async () => {
    const ids = await start();
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const id = ids.at(-1) as string;
    for (const replica of replicas) {
      await gallery(replica);
      expect(await creatorOf(replica, id)).toBe("seed");
    }
    await emulator.reset();
    const update = await b.gql(UPDATE, { id, creator: "edited-on-b" });
    expect(update.data).toEqual({ updateImage: { __typename: "UpdateImagePayload" } });
    expect(await creatorOf(a, id)).toBe("edited-on-b");
    expect(await creatorOf(c, id)).toBe("edited-on-b");
    const listed = (await gallery(c)).images.edges.find((e) => e.node.imageId === id)?.node.creator;
    expect(listed).toBe("edited-on-b");
    expect((await gallery(a)).images.edges.find((e) => e.node.imageId === id)?.node.creator).toBe("edited-on-b");
    // One lookup of the record and one of the page served all three replicas after the write.
    const counts = await emulator.counts();
    expect(counts[READS.image]).toBe(1);
    expect(counts[READS.list]).toBe(1);
  });

  it("keeps answering while Redis is down, shows writes made meanwhile, and shares again once it is back", async () => {
    // Nothing checked before the outage is served during it, so no replica can miss another's write.
    const ids = await start({ CACHE_OFFLINE_TTL_SECONDS: "0" });
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const id = ids.at(-1) as string;
    for (const replica of replicas) expect(await creatorOf(replica, id)).toBe("seed");

    await redis.stop();
    try {
      for (const replica of replicas) {
        expect((await gallery(replica)).images.edges).toHaveLength(20);
        expect(await creatorOf(replica, id)).toBe("seed");
      }
      const update = await a.gql(UPDATE, { id, creator: "edited-while-down" });
      expect(update.status).toBe(200);
      expect(update.data).toEqual({ updateImage: { __typename: "UpdateImagePayload" } });
      for (const replica of replicas) expect(await creatorOf(replica, id)).toBe("edited-while-down");
    } finally {
      await redis.start();
    }
    await eventually(async () => replicas.every((r) => r.app.cache?.shared === true));
    for (const replica of [b, c, a]) expect(await creatorOf(replica, id)).toBe("edited-while-down");

    // Shared again: a write through C reaches A and B, and one read warms the others.
    const update = await c.gql(UPDATE, { id, creator: "edited-after" });
    expect(update.data).toEqual({ updateImage: { __typename: "UpdateImagePayload" } });
    await emulator.reset();
    expect(await creatorOf(a, id)).toBe("edited-after");
    expect(await creatorOf(b, id)).toBe("edited-after");
    expect(await upstreamReads(emulator, READS.image)).toBe(1);
  });

  it("renews the shared epoch after a write Redis did not take: entries checked before it end soon after", async () => {
    const ids = await start();
    const [a, b] = replicas as [Replica, Replica, Replica];
    const id = ids.at(-1) as string;
    expect(await creatorOf(a, id)).toBe("seed");
    expect(await creatorOf(b, id)).toBe("seed");
    // Redis answers reads but refuses writes (out of memory): the write's bump is lost.
    await redisCommand(redis.port, ["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    await redisCommand(redis.port, ["CONFIG", "SET", "maxmemory", "1"]);
    try {
      const update = await a.gql(UPDATE, { id, creator: "missed-by-redis" });
      expect(update.data).toEqual({ updateImage: { __typename: "UpdateImagePayload" } });
      expect(await creatorOf(a, id)).toBe("missed-by-redis");
      // The limit of a shared level that cannot be written: B cannot know yet.
      expect(await creatorOf(b, id)).toBe("seed");
    } finally {
      await redisCommand(redis.port, ["CONFIG", "SET", "maxmemory", "0"]);
    }
    // Once Redis takes writes again, A renews the epoch, which ends every entry read before it.
    await eventually(async () => (await creatorOf(b, id)) === "missed-by-redis");
    const epoch = await redisCommand(redis.port, ["KEYS", "*:epoch"]);
    expect(epoch).toHaveLength(1);
  });

  it("keeps signing-key values and tokens out of Redis", async () => {
    await start();
    const [a, b] = replicas as [Replica, Replica, Replica];
    const answer = await a.gql<{ signingKeys: { name: string; value: string }[] }>(`{ signingKeys { name value } }`);
    const keys = answer.data?.signingKeys ?? [];
    expect(keys.length).toBeGreaterThan(0);
    await gallery(a);
    await b.gql(`{ variants { name } stats { current } }`);
    const names = (await redisCommand(redis.port, ["KEYS", "*"])) as string[];
    expect(names.length).toBeGreaterThan(0);
    const everything: string[] = [...names];
    for (const name of names) {
      const type = await redisCommand(redis.port, ["TYPE", name]);
      if (type === "string") everything.push(String(await redisCommand(redis.port, ["GET", name])));
    }
    const dump = everything.join("\n");
    for (const key of keys) expect(dump).not.toContain(key.value);
    expect(dump).not.toContain(emulator.token);
  });
});
