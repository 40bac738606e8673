import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CatalogueDirInUseError, SqliteCatalogueStore } from "../../src/catalogue/sqlite-store.ts";
import { spawnServer } from "../support/spawn.ts";
import { image, storeContract } from "./store-contract.ts";

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "catalogue-dir-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

storeContract("node:sqlite in a CATALOGUE_DIR", async () => new SqliteCatalogueStore(freshDir()));

describe("CATALOGUE_DIR belongs to one process", () => {
  it("keeps the index across a restart, and refuses a second holder while the first runs", async () => {
    const dir = freshDir();
    const first = new SqliteCatalogueStore(dir);
    await first.migrate();
    await first.write("", image("kept"));
    expect(() => new SqliteCatalogueStore(dir)).toThrow(CatalogueDirInUseError);
    expect(() => new SqliteCatalogueStore(dir)).toThrow(`CATALOGUE_DIR=${dir}`);
    // The first one is not disturbed by the refusal.
    await first.write("", image("also"));
    expect(await first.count("", {})).toBe(2);
    await first.close();
    const restarted = new SqliteCatalogueStore(dir);
    await restarted.migrate();
    expect(await restarted.count("", {})).toBe(2);
    await restarted.close();
  });

  it("a server started on a directory another process holds exits at start, naming CATALOGUE_DIR", async () => {
    const dir = freshDir();
    const holder = new SqliteCatalogueStore(dir);
    try {
      const server = spawnServer({ PORT: "0", HOST: "127.0.0.1", CATALOGUE: "on", CATALOGUE_DIR: dir });
      let stderr = "";
      server.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => server.once("exit", resolve));
      expect(code).toBe(1);
      expect(stderr).toContain(`CATALOGUE_DIR=${dir}: its catalogue is held by another process`);
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      await holder.close();
    }
  });
});
