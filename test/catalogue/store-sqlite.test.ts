import { describe, expect, it } from "vitest";
import type { CatalogueOrder, Keyset } from "../../src/catalogue/model.ts";
import { keyOf } from "../../src/catalogue/model.ts";
import { SqliteCatalogueStore } from "../../src/catalogue/sqlite-store.ts";
import { image, storeContract } from "./store-contract.ts";

storeContract("node:sqlite in memory", async () => new SqliteCatalogueStore());

describe("node:sqlite: a search most rows match", () => {
  it("gives the same pages, in order and by keyset, as any other search", async () => {
    const store = new SqliteCatalogueStore();
    await store.migrate();
    // 3,000 images, all with "common" in the filename (tested row by row), every third with "rare" too.
    const images = Array.from({ length: 3000 }, (_, i) =>
      image(`img-${String(i).padStart(4, "0")}`, {
        filename: `Common-${i % 7}${i % 3 === 0 ? "-rare" : ""}.png`,
        uploaded: new Date(Date.UTC(2026, 0, 1) + (i % 500) * 1000),
      }),
    );
    const mark = await store.beginSweep("");
    await store.sweepPage("", mark, images);
    await store.finishSweep("", mark, images.length);
    const walk = async (terms: string[], filename: string | undefined, order: CatalogueOrder) => {
      const seen: string[] = [];
      let after: Keyset | undefined;
      for (;;) {
        const filter = { terms, ...(filename ? { filename } : {}) };
        const page = await store.page("", { filter, order, after, limit: 400 });
        seen.push(...page.slice(0, 400).map((i) => i.id));
        const last = page[Math.min(page.length, 400) - 1];
        if (page.length <= 400 || !last) return seen;
        after = { value: keyOf(last, order.field), id: last.id };
      }
    };
    const expected = (holds: (filename: string) => boolean, order: CatalogueOrder) => {
      const chosen = images.filter((i) => holds((i.filename ?? "").toLowerCase()));
      const sign = order.direction === "asc" ? 1 : -1;
      return chosen
        .sort((a, b) => {
          const ka = keyOf(a, order.field) as string | number;
          const kb = keyOf(b, order.field) as string | number;
          return sign * (ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
        })
        .map((i) => i.id);
    };
    for (const order of [
      { field: "uploaded", direction: "desc" },
      { field: "filename", direction: "asc" },
    ] as const) {
      expect(await walk(["common"], undefined, order)).toEqual(expected((f) => f.includes("common"), order));
      expect(await walk(["mon-3"], undefined, order)).toEqual(expected((f) => f.includes("mon-3"), order));
      expect(await walk(["common", "rare"], undefined, order)).toEqual(
        expected((f) => f.includes("common") && f.includes("rare"), order),
      );
      expect(await walk(["png"], "mon-", order)).toEqual(expected((f) => f.includes("mon-"), order));
    }
    expect(await store.count("", { terms: ["common"] })).toBe(3000);
    expect(await store.count("", { terms: ["common", "rare"] })).toBe(1000);
    await store.close();
  });
});
