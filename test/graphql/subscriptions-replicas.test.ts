import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/index.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { uploaded } from "../support/images.ts";
import { redisCommand, startTestRedis, type TestRedis } from "../support/redis.ts";
import { subscribe } from "../support/sse.ts";

const CHANGED = `subscription($id: ID!) { imageChanged(imageId: $id) { imageId creator } }`;
const UPDATE = `mutation($id: ID!, $creator: String!) {
  updateImage(input: { imageId: $id, creator: $creator }) { __typename }
}`;

let redis: TestRedis;
let emulator: TestEmulator;
let servers: RunningServer[] = [];

/** One replica of the server: its own process state, the shared emulator and Redis. */
async function replica(): Promise<RunningServer> {
  const config = loadConfig({ REDIS_URL: redis.url, UPSTREAM_RETRY_BASE_DELAY_MS: "1", CATALOGUE: "off" });
  const app = createApp(config, { baseUrl: emulator.baseUrl, accountId: emulator.accountId, token: emulator.token });
  return startServer(app, { host: "127.0.0.1", port: 0 });
}

async function gql(server: RunningServer, query: string, variables: Record<string, unknown>) {
  const response = await fetch(new URL("/graphql", server.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

/** Redis's count of subscribers to a channel: the replica's SUBSCRIBE has arrived. */
async function subscribersOf(channel: string): Promise<number> {
  const reply = await redisCommand(redis.port, ["PUBSUB", "NUMSUB", channel]);
  return Array.isArray(reply) ? Number(reply[1]) : 0;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

beforeAll(async () => {
  redis = await startTestRedis();
  emulator = await startTestEmulator();
  servers = [await replica(), await replica()];
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await emulator.close();
  await redis.close();
});

describe("imageChanged across replicas sharing one Redis", () => {
  it("a mutation through replica A emits on a subscription held by replica B", async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const image = await uploaded(emulator, { creator: "before" });
    const sub = await subscribe(b.url, CHANGED, { id: image.id });
    try {
      await until(async () => (await subscribersOf(`imageChanged:${image.id}`)) === 1, "B's SUBSCRIBE");
      expect(await gql(a, UPDATE, { id: image.id, creator: "through A" })).toEqual({
        data: { updateImage: { __typename: "UpdateImagePayload" } },
      });
      expect(await sub.next()).toEqual({ data: { imageChanged: { imageId: image.id, creator: "through A" } } });

      await gql(a, `mutation($id: ID!) { deleteImage(input: { imageId: $id }) { __typename } }`, { id: image.id });
      expect(await sub.next()).toEqual({ data: { imageChanged: null } });
    } finally {
      sub.abort();
    }
    // The last subscriber gone, B unsubscribes from Redis.
    await until(async () => (await subscribersOf(`imageChanged:${image.id}`)) === 0, "B's UNSUBSCRIBE");
  });

  it("keeps serving while Redis is down; a held subscription gets events again once it is back", async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const image = await uploaded(emulator, { creator: "before" });
    const channel = `imageChanged:${image.id}`;
    const sub = await subscribe(b.url, CHANGED, { id: image.id });
    try {
      await until(async () => (await subscribersOf(channel)) === 1, "B's SUBSCRIBE");
      await redis.stop();
      // The mutation does not wait for Redis; its event is delivered late (ioredis queues it) or lost.
      expect(await gql(a, UPDATE, { id: image.id, creator: "while down" })).toEqual({
        data: { updateImage: { __typename: "UpdateImagePayload" } },
      });
      await redis.start();
      // ioredis subscribes again on reconnecting.
      await until(async () => (await subscribersOf(channel).catch(() => 0)) === 1, "B's SUBSCRIBE after the restart");
      // A's publishing connection may still be reconnecting: publish until one arrives.
      let event: unknown;
      for (let attempt = 0; attempt < 40 && event === undefined; attempt++) {
        await gql(a, UPDATE, { id: image.id, creator: `back ${attempt}` });
        if (!(await sub.quietFor(250))) event = await sub.next();
      }
      expect(event).toMatchObject({
        data: { imageChanged: { imageId: image.id, creator: expect.stringMatching(/^(while down|back)/) } },
      });
    } finally {
      sub.abort();
    }
  });
});
