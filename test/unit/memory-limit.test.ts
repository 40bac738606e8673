import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EnvReader, loadConfig } from "../../src/config/index.ts";
import { loadLaunchConfig, readMemoryConfig } from "../../src/config/memory.ts";
import { missingNodeFlags } from "../../src/memory/launch.ts";
import { cgroupMemoryLimit, parseLimit } from "../../src/memory/limit.ts";
import { sizedFor } from "../../src/memory/sizing.ts";

const MB = 1024 * 1024;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fake /proc/self and cgroup tree in a temp dir: `files` maps paths under it to contents. */
function fixture(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), "cgroup-"));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text.replaceAll("$ROOT", root));
  }
  return { cgroup: join(root, "proc/cgroup"), mountinfo: join(root, "proc/mountinfo") };
}

const V1_MOUNTS = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / $ROOT/memory rw,relatime - cgroup cgroup rw,memory
32 31 0:29 / $ROOT/cpu rw,relatime - cgroup cgroup rw,cpu
41 31 0:38 / $ROOT/unified rw,relatime - cgroup2 cgroup2 rw
`;

describe("the memory limit from the process's cgroup", () => {
  it("reads cgroup v1's memory.limit_in_bytes of the process's group, the smallest on the way up", () => {
    const files = fixture({
      "proc/cgroup": "5:devices:/\n4:memory:/pods/api\n1:cpu:/\n0::/\n",
      "proc/mountinfo": V1_MOUNTS,
      "memory/memory.limit_in_bytes": "9223372036854771712\n",
      "memory/pods/memory.limit_in_bytes": `${512 * MB}\n`,
      "memory/pods/api/memory.limit_in_bytes": `${160 * MB}\n`,
    });
    expect(cgroupMemoryLimit(files)).toEqual({ bytes: 160 * MB, source: "cgroup v1" });
  });

  it("takes a parent's smaller limit, which binds the group too", () => {
    const files = fixture({
      "proc/cgroup": "4:memory:/pods/api\n",
      "proc/mountinfo": V1_MOUNTS,
      "memory/pods/memory.limit_in_bytes": `${128 * MB}\n`,
      "memory/pods/api/memory.limit_in_bytes": "9223372036854771712\n",
    });
    expect(cgroupMemoryLimit(files)).toEqual({ bytes: 128 * MB, source: "cgroup v1" });
  });

  it("reads cgroup v2's memory.max, where `max` means none", () => {
    const files = fixture({
      "proc/cgroup": "0::/system.slice/api.service\n",
      "proc/mountinfo": "30 23 0:26 / $ROOT/v2 rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
      "v2/system.slice/memory.max": "max\n",
      "v2/system.slice/api.service/memory.max": `${256 * MB}\n`,
    });
    expect(cgroupMemoryLimit(files)).toEqual({ bytes: 256 * MB, source: "cgroup v2" });
  });

  it("finds the group at the mount's root inside a container's cgroup namespace", () => {
    const files = fixture({
      // The container sees its group as `/`, and the mount's root is that group.
      "proc/cgroup": "0::/\n",
      "proc/mountinfo": "30 23 0:26 /kubepods/pod1 $ROOT/fs rw - cgroup2 cgroup2 rw\n",
      "fs/memory.max": `${192 * MB}\n`,
    });
    expect(cgroupMemoryLimit(files)).toEqual({ bytes: 192 * MB, source: "cgroup v2" });
  });

  it("knows no limit when none is set, or the files are missing", () => {
    const unlimited = fixture({
      "proc/cgroup": "4:memory:/\n0::/\n",
      "proc/mountinfo": V1_MOUNTS,
      "memory/memory.limit_in_bytes": "9223372036854771712\n",
      "unified/memory.max": "max\n",
    });
    expect(cgroupMemoryLimit(unlimited)).toBeUndefined();
    expect(cgroupMemoryLimit({ cgroup: "/nonexistent/cgroup", mountinfo: "/nonexistent/mountinfo" })).toBeUndefined();
    expect(parseLimit("max")).toBeUndefined();
    expect(parseLimit("garbage")).toBeUndefined();
    expect(parseLimit("0")).toBeUndefined();
  });
});

function memoryConfig(env: Record<string, string>, detected?: number) {
  const problems: string[] = [];
  const config = readMemoryConfig(new EnvReader(env, problems), () =>
    detected === undefined ? undefined : { bytes: detected, source: "cgroup v1" },
  );
  return { config, problems };
}

describe("memory settings", () => {
  it("sizes the subscription caps from the limit, and MEMORY_LIMIT_MB wins over the cgroup", () => {
    const small = memoryConfig({}, 160 * MB).config;
    expect(small.limit).toEqual({ bytes: 160 * MB, source: "cgroup v1" });
    expect(small.maxSubscriptions).toBe(Math.floor((160 * MB) / 10 / (43 * 1024)));
    expect(small.maxSubscriptionsPerCaller).toBe(Math.floor(small.maxSubscriptions / 4));
    const explicit = memoryConfig({ MEMORY_LIMIT_MB: "512" }, 160 * MB).config;
    expect(explicit.limit).toEqual({ bytes: 512 * MB, source: "MEMORY_LIMIT_MB" });
    expect(memoryConfig({ MAX_SUBSCRIPTIONS: "7", MAX_SUBSCRIPTIONS_PER_CALLER: "2" }).config).toMatchObject({
      maxSubscriptions: 7,
      maxSubscriptionsPerCaller: 2,
    });
  });

  it("names the variable of a bad value", () => {
    const { problems } = memoryConfig({ MEMORY_LIMIT_MB: "lots", SHED_HEAP_RATIO: "2", LOAD_SHEDDING: "maybe" });
    expect(problems.join("\n")).toMatch(/MEMORY_LIMIT_MB/);
    expect(problems.join("\n")).toMatch(/SHED_HEAP_RATIO/);
    expect(problems.join("\n")).toMatch(/LOAD_SHEDDING/);
  });

  it("bounds the caches and concurrencies under a small limit, unless they are set", () => {
    expect(sizedFor(160 * MB)).toMatchObject({
      heapMb: 64,
      semiSpaceMb: 4,
      cacheMaxBytes: 10 * MB,
      loaderConcurrency: 6,
      uploadConcurrency: 2,
    });
    expect(sizedFor(undefined)).toMatchObject({ heapMb: undefined, cacheMaxBytes: 16 * MB, loaderConcurrency: 10 });
    const config = loadConfig({ MEMORY_LIMIT_MB: "160" });
    expect(config.cache.maxBytes).toBe(10 * MB);
    expect(config.loaderConcurrency).toBe(6);
    expect(config.http.uploadConnections).toBe(2);
    expect(loadConfig({ MEMORY_LIMIT_MB: "160", CACHE_MAX_BYTES: "2048" }).cache.maxBytes).toBe(2048);
  });

  it("relaunches node with the heap sized from the limit, once, and not over the operator's own flags", () => {
    expect(missingNodeFlags(loadLaunchConfig({ MEMORY_LIMIT_MB: "256" }), [])).toEqual([
      "--max-old-space-size=128",
      "--max-semi-space-size=8",
    ]);
    // The relaunched process has them all: no second relaunch.
    const relaunched = ["--max-old-space-size=128", "--max-semi-space-size=8"];
    expect(missingNodeFlags(loadLaunchConfig({ MEMORY_LIMIT_MB: "256" }), relaunched)).toEqual([]);
    const operator = { NODE_OPTIONS: "--max-old-space-size=1000 --max-semi-space-size=4", MEMORY_LIMIT_MB: "256" };
    expect(missingNodeFlags(loadLaunchConfig(operator), [])).toEqual([]);
    // No limit known, the young generation's flag given (npm start, the image): nothing to relaunch for.
    expect(missingNodeFlags(loadLaunchConfig({ MEMORY_LIMIT_MB: "0" }), ["--max-semi-space-size=8"])).toEqual([]);
    expect(loadLaunchConfig({ MEMORY_RELAUNCH: "off" }).relaunch).toBe(false);
  });
});
