import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { READS, seedImages } from "../support/cache.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { startTestRedis, type TestRedis } from "../support/redis.ts";
import { killServerProcesses, postGraphQL, startServerProcess } from "../support/server-process.ts";

let emulator: TestEmulator;
let redis: TestRedis;

beforeAll(async () => {
  emulator = await startTestEmulator();
  redis = await startTestRedis();
});
afterEach(() => killServerProcesses());
afterAll(async () => {
  await redis.close();
  await emulator.close();
});

it("a server process with the entity cache in Redis reads and writes through Redis going away and coming back", async () => {
  const ids = await seedImages(emulator, 5);
  // Unhandled rejections are fatal in this process: every Redis failure of the cache must be handled.
  const server = await startServerProcess(emulator, { REDIS_URL: redis.url, CACHE: "on", LOG_LEVEL: "info" });
  const creator = async (id: string) => {
    const answer = await postGraphQL<{ image: { creator: string } }>(
      server.origin,
      `query($id: ID!) { image(imageId: $id) { creator } }`,
      { id },
    );
    expect(answer.status).toBe(200);
    return answer.body.data?.image.creator;
  };
  const edit = async (id: string, value: string) => {
    const answer = await postGraphQL(
      server.origin,
      `mutation($id: ID!, $c: String!) { updateImage(input: { imageId: $id, creator: $c }) { __typename } }`,
      { id, c: value },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ updateImage: { __typename: "UpdateImagePayload" } });
  };
  for (const id of ids) expect(await creator(id)).toBe("seed");
  await emulator.reset();
  for (const id of ids) expect(await creator(id)).toBe("seed");
  expect((await emulator.counts())[READS.image] ?? 0).toBe(0);

  await redis.stop();
  await edit(ids[0] as string, "while-down");
  for (const id of ids) expect(await creator(id)).toBe(id === ids[0] ? "while-down" : "seed");
  await expect.poll(() => server.output(), { timeout: 10_000 }).toContain("the entity cache serves only");
  await redis.start();
  await expect.poll(() => server.output(), { timeout: 10_000 }).toContain("the entity cache is shared again");
  await edit(ids[1] as string, "after");
  expect(await creator(ids[0] as string)).toBe("while-down");
  expect(await creator(ids[1] as string)).toBe("after");
  expect(server.alive()).toBe(true);
  server.process.kill("SIGTERM");
  expect(await server.exited).toBe(0);
});
