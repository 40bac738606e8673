import { afterAll, beforeAll, describe } from "vitest";
import { PostgresCatalogueStore } from "../../src/catalogue/postgres-store.ts";
import { PostgresJobStore } from "../../src/jobs/postgres-job-store.ts";
import { startTestPostgres, type TestPostgres } from "../support/postgres.ts";
import { jobStoreContract } from "./store-contract.ts";

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
}, 60_000);
afterAll(() => postgres.close());

describe("the job store on PostgreSQL (shared by replicas)", () => {
  jobStoreContract(async () => {
    const url = await postgres.createDatabase();
    const catalogue = new PostgresCatalogueStore(url);
    await catalogue.migrate();
    await catalogue.close();
    return new PostgresJobStore(url);
  });
});
