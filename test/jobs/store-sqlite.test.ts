import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe } from "vitest";
import { SqliteCatalogueStore } from "../../src/catalogue/sqlite-store.ts";
import { SqliteJobStore } from "../../src/jobs/sqlite-job-store.ts";
import { jobStoreContract } from "./store-contract.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("the job store on node:sqlite (the catalogue's file)", () => {
  jobStoreContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), "job-store-"));
    dirs.push(dir);
    // The catalogue's migrations make the jobs' tables; its connection is then closed, the file stays.
    const catalogue = new SqliteCatalogueStore(dir);
    await catalogue.migrate();
    await catalogue.close();
    return new SqliteJobStore(join(dir, "catalogue.sqlite"));
  });
});
