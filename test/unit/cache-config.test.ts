import { describe, expect, it } from "vitest";
import { LocalVersions } from "../../src/cache/local-versions.ts";
import { ConfigError, loadConfig } from "../../src/config/index.ts";

describe("entity cache settings", () => {
  it("default to on, with the documented lifetimes and a modest bound", () => {
    expect(loadConfig({}).cache).toEqual({
      enabled: true,
      ttlSeconds: { image: 60, imageList: 30, variants: 300, signingKeys: 300, stats: 60 },
      notFoundTtlSeconds: 10,
      maxStaleSeconds: 60,
      offlineTtlSeconds: 5,
      maxEntries: 20_000,
      maxBytes: 16 * 1024 * 1024,
    });
  });

  it("are read from the environment", () => {
    const config = loadConfig({
      CACHE: "off",
      CACHE_IMAGE_TTL_SECONDS: "600",
      CACHE_LIST_TTL_SECONDS: "0",
      CACHE_MAX_STALE_SECONDS: "5",
      CACHE_MAX_BYTES: "1048576",
    });
    expect(config.cache).toMatchObject({
      enabled: false,
      ttlSeconds: { image: 600, imageList: 0 },
      maxStaleSeconds: 5,
      maxBytes: 1_048_576,
    });
  });

  it("name each bad value", () => {
    const load = () =>
      loadConfig({ CACHE: "yes", CACHE_IMAGE_TTL_SECONDS: "-1", CACHE_MAX_ENTRIES: "lots", CACHE_MAX_BYTES: "10" });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/CACHE must be one of on, off \(got "yes"\)/);
    expect(load).toThrow(/CACHE_IMAGE_TTL_SECONDS must be an integer from 0/);
    expect(load).toThrow(/CACHE_MAX_ENTRIES must be an integer/);
    expect(load).toThrow(/CACHE_MAX_BYTES must be an integer from 1024/);
  });
});

describe("the in-process versions", () => {
  it("give a bumped dependency a version no earlier read matched", () => {
    const versions = new LocalVersions();
    const before = versions.version("image:a");
    versions.bump(["image:a"]);
    expect(versions.version("image:a")).not.toBe(before);
    expect(versions.version("image:b")).toBe(before);
  });

  it("stay safe when the oldest are forgotten: a forgotten version matches no read from before its bump", () => {
    const versions = new LocalVersions(2);
    const untouched = versions.version("image:c");
    versions.bump(["image:a"]);
    const readAfterBump = versions.version("image:a");
    versions.bump(["image:b", "image:c"]);
    // image:a is forgotten: it reads as the highest forgotten version, still what was read after its bump.
    expect(versions.version("image:a")).toBe(readAfterBump);
    versions.bump(["image:d"]);
    // image:b is forgotten now: what was read before it was ever bumped no longer matches.
    expect(versions.version("image:b")).not.toBe(untouched);
    expect(versions.version("image:never")).not.toBe(untouched);
  });
});
