import { afterAll, beforeAll } from "vitest";
import { PostgresCatalogueStore } from "../../src/catalogue/postgres-store.ts";
import { startTestPostgres, type TestPostgres } from "../support/postgres.ts";
import { storeContract } from "./store-contract.ts";

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
}, 60_000);
afterAll(() => postgres.close());

storeContract("PostgreSQL", async () => new PostgresCatalogueStore(await postgres.createDatabase()));
