import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
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

it("a server process with a shared budget outlives Redis going away and coming back", async () => {
  const created = await emulator.admin("POST", "/images", { count: 30 });
  const ids = ((await created.json()) as { ids: string[] }).ids;
  // Unhandled rejections are fatal in this process: the budget's Redis failures must all be handled.
  const server = await startServerProcess(emulator, {
    REDIS_URL: redis.url,
    UPSTREAM_REPLICAS: "2",
    // Every read takes from the budget (batch calls would not).
    UPSTREAM_BATCH: "off",
    LOG_LEVEL: "info",
  });
  const read = async (id: string) => {
    const answer = await postGraphQL<{ image: { imageId: string } }>(
      server.origin,
      `query($id: ID!) { image(imageId: $id) { imageId } }`,
      { id },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.data?.image.imageId).toBe(id);
  };
  for (const id of ids.slice(0, 5)) await read(id);
  await redis.stop();
  for (const id of ids.slice(5, 15)) await read(id);
  await expect.poll(() => server.output(), { timeout: 10_000 }).toContain("Redis is out of reach");
  await redis.start();
  await expect.poll(() => server.output(), { timeout: 10_000 }).toContain("Redis is back");
  for (const id of ids.slice(15, 30)) await read(id);
  expect(server.alive()).toBe(true);
  const counts = await emulator.counts();
  expect(counts["GET /accounts/{account_id}/images/v1/{image_id}"]).toBe(30);
  server.process.kill("SIGTERM");
  expect(await server.exited).toBe(0);
});
