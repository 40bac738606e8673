import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { seedImages } from "../support/cache.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { redisCommand, startTestRedis, type TestRedis } from "../support/redis.ts";
import { closeReplicas, type Replica, startReplicas } from "../support/replicas.ts";

const LIST_V2 = "GET /accounts/{account_id}/images/v2";
const PAGE = `query Page($first: Int, $after: String, $last: Int, $before: String) {
  images(first: $first, after: $after, last: $last, before: $before, sortOrder: ASC) {
    edges { cursor node { imageId } }
    pageInfo { hasPreviousPage startCursor endCursor }
  }
}`;
interface PageAnswer {
  images: {
    edges: { node: { imageId: string } }[];
    pageInfo: { hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

let redis: TestRedis;
let emulator: TestEmulator;
let replicas: Replica[] = [];
let all: string[];

beforeAll(async () => {
  redis = await startTestRedis();
  emulator = await startTestEmulator();
  all = await seedImages(emulator, 150);
});
afterAll(async () => {
  await emulator.close();
  await redis.close();
});
afterEach(async () => {
  await closeReplicas(replicas);
  replicas = [];
});

/** Pages of 10 (one upstream page each) forward through `replica`: the last cursor. */
async function walkForward(replica: Replica, pages: number): Promise<string> {
  let after: string | null = null;
  for (let i = 0; i < pages; i++) {
    const answer: { data?: PageAnswer | null } = await replica.gql<PageAnswer>(PAGE, { first: 10, after });
    after = answer.data?.images.pageInfo.endCursor ?? null;
  }
  return after as string;
}

/** The `count` images before `before`, through `replica`, and the list calls it cost. */
async function pageBack(replica: Replica, before: string, count: number): Promise<{ ids: string[]; calls: number }> {
  await emulator.reset();
  const answer = await replica.gql<PageAnswer>(PAGE, { last: count, before });
  const ids = (answer.data?.images.edges ?? []).map((e) => e.node.imageId);
  return { ids, calls: (await emulator.counts())[LIST_V2] ?? 0 };
}

describe("the token-chain memo in Redis", () => {
  it("lets a replica walk back a list another one walked forward, without reading it again from the start", async () => {
    await redisCommand(redis.port, ["FLUSHALL"]);
    const env = { UPSTREAM_BATCH: "off", UPSTREAM_PAGE_SIZE: "20" };
    replicas = await startReplicas(emulator, 2, { ...env, REDIS_URL: redis.url });
    const [a, b] = replicas as [Replica, Replica];
    const lone = (await startReplicas(emulator, 1, env))[0] as Replica;
    replicas.push(lone);

    // Longer than the way back a cursor carries itself (4 pages): past that only the memo knows it.
    const end = await walkForward(a, 14);
    // Eight upstream pages back, twice as far as a cursor knows the way itself.
    const shared = await pageBack(b, end, 80);
    const alone = await pageBack(lone, end, 80);
    expect(shared.ids).toEqual(all.slice(59, 139));
    expect(alone.ids).toEqual(shared.ids);
    // B reads just those 80 (upstream pages of 20, and the one the cursor sits in); alone, the list from its start.
    expect(shared.calls).toBeLessThanOrEqual(80 / 20 + 1);
    expect(shared.calls).toBeLessThan(alone.calls);
  });
});
