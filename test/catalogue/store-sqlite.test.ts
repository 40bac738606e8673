import { SqliteCatalogueStore } from "../../src/catalogue/sqlite-store.ts";
import { storeContract } from "./store-contract.ts";

storeContract("node:sqlite in memory", async () => new SqliteCatalogueStore());
