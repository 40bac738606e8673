import { afterEach, describe, expect, it } from "vitest";
import { redisCommand, startTestRedis, type TestRedis } from "./redis.ts";

let redis: TestRedis | undefined;
afterEach(async () => {
  await redis?.close();
  redis = undefined;
});

describe("the Redis test fixture", () => {
  it("starts a real redis-server on a random 127.0.0.1 port that answers PING, SET and GET", async () => {
    redis = await startTestRedis();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.port).toBeGreaterThan(0);
    expect(await redisCommand(redis.port, ["PING"])).toBe("PONG");
    expect(await redisCommand(redis.port, ["SET", "fixture:key", "välue with spaces"])).toBe("OK");
    expect(await redisCommand(redis.port, ["GET", "fixture:key"])).toBe("välue with spaces");
    expect(await redisCommand(redis.port, ["GET", "fixture:missing"])).toBeNull();
    expect(await redisCommand(redis.port, ["INCR", "fixture:n"])).toBe(1);
  });

  it("persists nothing: no RDB snapshots, no append-only file", async () => {
    redis = await startTestRedis();
    expect(await redisCommand(redis.port, ["CONFIG", "GET", "save"])).toEqual(["save", ""]);
    expect(await redisCommand(redis.port, ["CONFIG", "GET", "appendonly"])).toEqual(["appendonly", "no"]);
  });

  it("stops (connections refused) and starts again on the same port, empty", async () => {
    redis = await startTestRedis();
    const { port } = redis;
    await redisCommand(port, ["SET", "before", "1"]);
    await redis.stop();
    await expect(redisCommand(port, ["PING"])).rejects.toThrow();
    await redis.start();
    expect(redis.port).toBe(port);
    expect(await redisCommand(port, ["PING"])).toBe("PONG");
    expect(await redisCommand(port, ["GET", "before"])).toBeNull();
  });

  it("gives each fixture its own server", async () => {
    redis = await startTestRedis();
    const other = await startTestRedis();
    try {
      expect(other.port).not.toBe(redis.port);
      await redisCommand(redis.port, ["SET", "shared", "a"]);
      expect(await redisCommand(other.port, ["GET", "shared"])).toBeNull();
    } finally {
      await other.close();
    }
  });

  it("reports Redis errors as errors", async () => {
    redis = await startTestRedis();
    await expect(redisCommand(redis.port, ["NOSUCHCOMMAND"])).rejects.toThrow(/Redis error: ERR unknown command/);
  });
});
