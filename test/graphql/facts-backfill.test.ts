import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { jpeg, png } from "../support/facts-files.ts";
import { type FilePart, uploaded } from "../support/images.ts";
import { startTestRedis, type TestRedis } from "../support/redis.ts";
import { closeReplicas, startReplicas } from "../support/replicas.ts";
import { startTestStack, type TestStack } from "../support/server.ts";
import { subscribe } from "../support/sse.ts";

const BLOB = "GET /accounts/{account_id}/images/v1/{image_id}/blob";
const READ = `query ($id: ID!) { image(imageId: $id) { width height factsStatus factsError } }`;

interface Read {
  image: { width: number | null; height: number | null; factsStatus: string; factsError: string | null };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function olderImage(emulator: TestEmulator, bytes: Uint8Array, name = "old.png"): Promise<string> {
  const part: FilePart = { bytes, name, type: "image/png" };
  return (await uploaded(emulator, {}, part)).id;
}

describe("replicas sharing one Redis", () => {
  let redis: TestRedis;
  let emulator: TestEmulator;
  beforeAll(async () => {
    redis = await startTestRedis();
    emulator = await startTestEmulator();
  });
  afterAll(async () => {
    await emulator.close();
    await redis.close();
  });

  it("5 replicas reading one new image compute its facts once: one blob download in all", async () => {
    const replicas = await startReplicas(emulator, 5, { REDIS_URL: redis.url });
    try {
      const file = await png(77, 33);
      const id = await olderImage(emulator, file.bytes);
      await emulator.reset();
      await until(async () => {
        const answers = await Promise.all(replicas.map((r) => r.gql<Read>(READ, { id })));
        return answers.every((a) => a.data?.image.factsStatus === "READY");
      }, "facts on every replica");
      await Promise.all(replicas.map((r) => r.app.facts?.backfill.whenIdle()));
      expect((await emulator.counts())[BLOB]).toBe(1);
      const answers = await Promise.all(replicas.map((r) => r.gql<Read>(READ, { id })));
      for (const answer of answers) expect(answer.data?.image).toMatchObject({ width: 77, height: 33 });
      expect(replicas.reduce((sum, r) => sum + (r.app.facts?.backfill.counts.computed ?? 0), 0)).toBe(1);
    } finally {
      await closeReplicas(replicas);
    }
  });
});

describe("replicas while Redis is down", () => {
  let redis: TestRedis;
  let emulator: TestEmulator;
  beforeAll(async () => {
    redis = await startTestRedis();
    emulator = await startTestEmulator();
  });
  afterAll(async () => {
    await emulator.close();
    await redis.close();
  });

  it("answer PENDING without an error and compute nothing, then compute once when Redis is back", async () => {
    const replicas = await startReplicas(emulator, 2, { REDIS_URL: redis.url });
    try {
      const id = await olderImage(emulator, (await png(21, 12)).bytes);
      await redis.stop();
      await emulator.reset();
      for (let i = 0; i < 5; i += 1) {
        const answers = await Promise.all(replicas.map((r) => r.gql<Read>(READ, { id })));
        for (const answer of answers) {
          expect(answer.errors).toBeUndefined();
          expect(answer.data?.image).toMatchObject({ factsStatus: "PENDING", width: null });
        }
        await sleep(20);
      }
      expect((await emulator.counts())[BLOB]).toBeUndefined();
      await redis.start();
      await until(async () => {
        const answers = await Promise.all(replicas.map((r) => r.gql<Read>(READ, { id })));
        return answers.every((a) => a.data?.image.width === 21);
      }, "facts once Redis is back");
      expect((await emulator.counts())[BLOB]).toBe(1);
    } finally {
      await closeReplicas(replicas);
    }
  });
});

describe("one server", () => {
  let stack: TestStack;

  it("tells imageChanged subscribers when the facts become known", async () => {
    stack = await startTestStack();
    const id = await olderImage(stack.emulator, (await png(50, 40)).bytes);
    const sub = await subscribe(
      stack.server.url,
      `subscription ($id: ID!) { imageChanged(imageId: $id) { imageId factsStatus width height } }`,
      { id },
    );
    try {
      const first = await stack.gql<Read>(READ, { id });
      expect(first.data?.image.factsStatus).toBe("PENDING");
      expect(await sub.next()).toEqual({
        data: { imageChanged: { imageId: id, factsStatus: "READY", width: 50, height: 40 } },
      });
    } finally {
      sub.abort();
      await stack.close();
    }
  });

  it("downloads at most FACTS_BUDGET_SHARE of the budget's window for the backfill", async () => {
    // 40 calls a window, a tenth of it for facts: 4 downloads, whatever the number of images read.
    stack = await startTestStack({ env: { UPSTREAM_BUDGET: "40", FACTS_BUDGET_SHARE: "0.1", CACHE: "on" } });
    const ids: string[] = [];
    for (let seed = 1; seed <= 7; seed += 1)
      ids.push(await olderImage(stack.emulator, (await png(10 + seed, 10)).bytes));
    await stack.emulator.reset();
    const query = `{ images(first: 20) { edges { node { imageId factsStatus } } } }`;
    type List = { images: { edges: { node: { imageId: string; factsStatus: string } }[] } };
    const readyCount = async () => {
      const answer = await stack.gql<List>(query);
      expect(answer.errors).toBeUndefined();
      return answer.data?.images.edges.filter((e) => e.node.factsStatus === "READY").length ?? 0;
    };
    await until(async () => (await readyCount()) === 4, "4 images' facts");
    for (let i = 0; i < 10; i += 1) {
      expect(await readyCount()).toBe(4);
      await sleep(20);
    }
    expect((await stack.emulator.counts())[BLOB]).toBe(4);
    await stack.close();
  });

  it("gives FAILED with the reason for an image over the decode limits, and still serves it", async () => {
    stack = await startTestStack({ env: { FACTS_MAX_SIDE: "100" } });
    const file = await jpeg(120, 80);
    const id = await olderImage(stack.emulator, file.bytes, "wide.jpg");
    await stack.gql<Read>(READ, { id });
    let settled: Read["image"] | undefined;
    await until(async () => {
      settled = (await stack.gql<Read>(READ, { id })).data?.image;
      return settled?.factsStatus === "FAILED";
    }, "FAILED facts");
    expect(settled).toMatchObject({ width: null, height: null });
    expect(settled?.factsError).toMatch(/120 × 80 pixels, over the limits/);
    const blob = await fetch(new URL(`/images/${id}/blob`, stack.server.url));
    expect(Buffer.from(await blob.arrayBuffer()).equals(file.bytes)).toBe(true);
    await stack.close();
  });

  it("with FACTS=off computes nothing: the fields are null and PENDING, and no blob is read", async () => {
    stack = await startTestStack({ env: { FACTS: "off" } });
    const id = await olderImage(stack.emulator, (await png()).bytes);
    await stack.emulator.reset();
    for (let i = 0; i < 3; i += 1) {
      const answer = await stack.gql<Read>(READ, { id });
      expect(answer.data?.image).toEqual({ width: null, height: null, factsStatus: "PENDING", factsError: null });
      await sleep(20);
    }
    expect((await stack.emulator.counts())[BLOB]).toBeUndefined();
    await stack.close();
  });
});
