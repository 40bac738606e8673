import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_BATCH_BASE_URL, loadConfig } from "../../src/config/index.ts";

const REAL = { CLOUDFLARE_API_TOKEN: "t", CLOUDFLARE_ACCOUNT_ID: "a", AUTH_MODE: "forward", OPS_PORT: "9464" };

describe("capacity settings", () => {
  it("default to the batch host, one replica and half the window per caller", () => {
    const config = loadConfig(REAL);
    expect(config.upstreamBatch).toBe("auto");
    expect(config.upstream?.batchBaseUrl).toBe(DEFAULT_BATCH_BASE_URL);
    expect(config.budget).toMatchObject({ replicas: 1, callerShare: 0.5 });
    expect(config.redisUrl).toBeUndefined();
  });

  it("are read from the environment", () => {
    const config = loadConfig({
      ...REAL,
      UPSTREAM_BATCH: "off",
      CLOUDFLARE_BATCH_BASE_URL: "http://127.0.0.1:8790/batch/",
      UPSTREAM_REPLICAS: "3",
      UPSTREAM_CALLER_SHARE: "0.25",
      REDIS_URL: "redis://127.0.0.1:6379",
    });
    expect(config.upstreamBatch).toBe("off");
    expect(config.upstream?.batchBaseUrl).toBe("http://127.0.0.1:8790/batch");
    expect(config.budget).toMatchObject({ replicas: 3, callerShare: 0.25 });
    // Read once: the budget, the entity cache, the token-chain memo and live events all take this one.
    expect(config.redisUrl).toBe("redis://127.0.0.1:6379");
  });

  it("name each bad value", () => {
    const bad = {
      ...REAL,
      UPSTREAM_BATCH: "sometimes",
      CLOUDFLARE_BATCH_BASE_URL: "ftp://x",
      UPSTREAM_REPLICAS: "0",
      UPSTREAM_CALLER_SHARE: "1.5",
    };
    expect(() => loadConfig(bad)).toThrow(ConfigError);
    const message = (() => {
      try {
        loadConfig(bad);
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const name of ["UPSTREAM_BATCH", "CLOUDFLARE_BATCH_BASE_URL", "UPSTREAM_REPLICAS", "UPSTREAM_CALLER_SHARE"]) {
      expect(message).toContain(name);
    }
    for (const share of ["0", "-0.5", "abc", "1e-1"]) {
      expect(() => loadConfig({ ...REAL, UPSTREAM_CALLER_SHARE: share })).toThrow(/UPSTREAM_CALLER_SHARE/);
    }
  });
});
