import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { CatalogueFilter, CatalogueOrder, Keyset } from "../../src/catalogue/model.ts";
import { keyOf } from "../../src/catalogue/model.ts";
import type { CatalogueStore } from "../../src/catalogue/store.ts";
import type { FactsRecord } from "../../src/facts/facts.ts";
import type { Image } from "../../src/upstream/index.ts";

const T = "";
const BASE = Date.UTC(2026, 0, 1);

export function image(id: string, fields: Partial<Image> = {}): Image {
  return {
    id,
    filename: `${id}.png`,
    creator: null,
    meta: {},
    requireSignedURLs: false,
    uploaded: new Date(BASE),
    variants: [{ name: "public", url: `https://imagedelivery.net/hash/${id}/public` }],
    draft: false,
    ...fields,
  };
}

/**
 * The behaviour every catalogue store must have, run against each of them: `open` gives a fresh,
 * empty store (migrated by the suite).
 */
export function storeContract(name: string, open: () => Promise<CatalogueStore>): void {
  describe(`catalogue store contract: ${name}`, () => {
    let store: CatalogueStore;
    const opened: CatalogueStore[] = [];
    beforeEach(async () => {
      store = await open();
      opened.push(store);
      await store.migrate();
    });
    afterAll(async () => {
      for (const s of opened) await s.close();
    });

    const ids = async (filter: CatalogueFilter = {}, order: CatalogueOrder = { field: "id", direction: "asc" }) =>
      (await store.page(T, { filter, order, limit: 1000 })).map((i) => i.id);

    const fixture = async () => {
      const images = [
        image("a1", {
          filename: "Hero-Banner.JPG",
          creator: "alice",
          uploaded: new Date(BASE + 3000),
          meta: { album: { name: "Summer" }, rank: 5, public: true },
        }),
        image("b2", {
          filename: "hero_small.png",
          creator: "bob",
          uploaded: new Date(BASE + 1000),
          meta: { rank: 12, tag: "5" },
        }),
        image("c3", {
          filename: "100% cat.gif",
          creator: null,
          uploaded: new Date(BASE + 2000),
          requireSignedURLs: true,
          meta: { rank: "7" },
        }),
        image("d4", {
          filename: 'it\'s "quoted".webp',
          creator: "alice",
          uploaded: new Date(BASE + 2000),
          meta: { note: "'; DROP TABLE images; --" },
        }),
        image("e5", { filename: null, creator: "carol", uploaded: new Date(BASE + 4000), meta: { public: false } }),
      ];
      for (const i of images) await store.write(T, i);
      return images;
    };

    it("migrates twice without harm and starts empty and incomplete", async () => {
      await store.migrate();
      expect(await store.count(T, {})).toBe(0);
      expect(await store.syncState(T)).toEqual({ complete: false, syncedAt: null, lastSweep: null });
    });

    it("keeps what it is given, and gives it back whole", async () => {
      const [first] = await fixture();
      const [back] = await store.page(T, {
        filter: { filename: "hero-banner" },
        order: { field: "id", direction: "asc" },
        limit: 10,
      });
      expect(back).toEqual(first);
      expect(await store.count(T, {})).toBe(5);
    });

    it("orders by each field both ways, the id breaking ties", async () => {
      await fixture();
      expect(await ids({}, { field: "uploaded", direction: "asc" })).toEqual(["b2", "c3", "d4", "a1", "e5"]);
      expect(await ids({}, { field: "uploaded", direction: "desc" })).toEqual(["e5", "a1", "d4", "c3", "b2"]);
      expect(await ids({}, { field: "filename", direction: "asc" })).toEqual(["e5", "c3", "a1", "b2", "d4"]);
      expect(await ids({}, { field: "id", direction: "desc" })).toEqual(["e5", "d4", "c3", "b2", "a1"]);
    });

    it("pages by keyset in every order, one more row telling there is more", async () => {
      await fixture();
      for (const order of [
        { field: "uploaded", direction: "asc" },
        { field: "uploaded", direction: "desc" },
        { field: "filename", direction: "asc" },
        { field: "id", direction: "desc" },
      ] as const) {
        const all = await ids({}, order);
        const walked: string[] = [];
        let after: Keyset | undefined;
        for (;;) {
          const page = await store.page(T, { filter: {}, order, after, limit: 2 });
          walked.push(...page.slice(0, 2).map((i) => i.id));
          if (page.length <= 2) break;
          const last = page[1] as Image;
          after = { value: keyOf(last, order.field), id: last.id };
        }
        expect(walked).toEqual(all);
      }
    });

    it("searches filename, creator and metadata values by case-insensitive substring", async () => {
      await fixture();
      expect(await ids({ terms: ["hero"] })).toEqual(["a1", "b2"]);
      expect(await ids({ terms: ["ALICE".toLowerCase()] })).toEqual(["a1", "d4"]);
      expect(await ids({ terms: ["summer"] })).toEqual(["a1"]);
      expect(await ids({ terms: ["hero", "bob"] })).toEqual(["b2"]);
      expect(await ids({ terms: ["ca"] })).toEqual(["c3", "e5"]);
      expect(await ids({ terms: ["zzz"] })).toEqual([]);
      // Every term must hold, long and short ones and the filename term together, whatever the mix.
      expect(await ids({ terms: ["hero", "alice", "5"] })).toEqual(["a1"]);
      expect(await ids({ terms: ["hero", "alice", "12"] })).toEqual([]);
      expect(await ids({ terms: ["alice", "e"], filename: "banner" })).toEqual(["a1"]);
      expect(await ids({ terms: ["alice"], filename: "it" })).toEqual(["d4"]);
      expect(await ids({ terms: ["al", "summer"], filename: "hero" })).toEqual(["a1"]);
      expect(await ids({ terms: ['"quoted"', "alice"] })).toEqual(["d4"]);
      expect(await ids({ terms: ["and", "or"] })).toEqual([]);
      expect(await store.count(T, { terms: ["hero", "png"] })).toBe(1);
    });

    it("takes wildcards, quotes and SQL in a search as plain text", async () => {
      await fixture();
      expect(await ids({ terms: ["%"] })).toEqual(["c3"]);
      expect(await ids({ terms: ["100%"] })).toEqual(["c3"]);
      expect(await ids({ terms: ["_"] })).toEqual(["b2"]);
      expect(await ids({ terms: ['"quoted"'] })).toEqual(["d4"]);
      expect(await ids({ terms: ["it's"] })).toEqual(["d4"]);
      expect(await ids({ terms: ["'; drop table images; --"] })).toEqual(["d4"]);
      expect(await ids({ terms: ["*"] })).toEqual([]);
      expect(await store.count(T, {})).toBe(5);
    });

    it("filters by creator, filename, upload time and signed URLs", async () => {
      await fixture();
      expect(await ids({ creator: "alice" })).toEqual(["a1", "d4"]);
      expect(await ids({ creator: "" })).toEqual(["c3"]);
      expect(await ids({ filename: "HERO" })).toEqual(["a1", "b2"]);
      expect(await ids({ filename: "_" })).toEqual(["b2"]);
      expect(await ids({ uploadedAfter: new Date(BASE + 1000), uploadedBefore: new Date(BASE + 4000) })).toEqual([
        "a1",
        "c3",
        "d4",
      ]);
      expect(await ids({ uploadedAfter: new Date(BASE + 4000), uploadedBefore: new Date(BASE) })).toEqual([]);
      expect(await ids({ requireSignedURLs: true })).toEqual(["c3"]);
      expect(await store.count(T, { requireSignedURLs: false, creator: "alice" })).toBe(2);
    });

    it("filters metadata with the upstream's operators and types", async () => {
      await fixture();
      expect(await ids({ meta: [{ path: "album.name", op: "eq", value: "Summer" }] })).toEqual(["a1"]);
      expect(await ids({ meta: [{ path: "rank", op: "gt", value: "6" }] })).toEqual(["b2"]);
      expect(await ids({ meta: [{ path: "rank", op: "lte:number", value: "12" }] })).toEqual(["a1", "b2"]);
      expect(await ids({ meta: [{ path: "rank", op: "eq", value: "7" }] })).toEqual(["c3"]);
      expect(await ids({ meta: [{ path: "rank", op: "eq:number", value: "7" }] })).toEqual([]);
      expect(await ids({ meta: [{ path: "tag", op: "eq", value: "5" }] })).toEqual(["b2"]);
      expect(await ids({ meta: [{ path: "rank", op: "in", value: "5|7" }] })).toEqual(["a1", "c3"]);
      expect(await ids({ meta: [{ path: "rank", op: "in:string", value: "5|7" }] })).toEqual(["c3"]);
      expect(await ids({ meta: [{ path: "public", op: "eq:boolean", value: "false" }] })).toEqual(["e5"]);
      expect(await ids({ meta: [{ path: "public", op: "eq", value: "true" }] })).toEqual(["a1"]);
      expect(await ids({ meta: [{ path: "missing.deep", op: "eq", value: "x" }] })).toEqual([]);
    });

    it("ranges metadata strings by code point, the catalogue's own operators", async () => {
      await store.write(T, image("jan", { meta: { shot: "2026-01-15T08:00:00Z", code: "b" } }));
      await store.write(T, image("mar", { meta: { shot: "2026-03-01", code: "B" } }));
      await store.write(T, image("dec", { meta: { shot: "2025-12-31T23:59:59Z", code: "é" } }));
      await store.write(T, image("num", { meta: { shot: 20260201, code: 5 } }));
      const range = (path: string, op: "gt:string" | "gte:string" | "lt:string" | "lte:string", value: string) =>
        ids({ meta: [{ path, op, value }] });
      expect(await range("shot", "gte:string", "2026-01-01")).toEqual(["jan", "mar"]);
      expect(await range("shot", "lt:string", "2026-03-01")).toEqual(["dec", "jan"]);
      expect(await range("shot", "lte:string", "2026-03-01")).toEqual(["dec", "jan", "mar"]);
      expect(await range("shot", "gt:string", "2026-03-01")).toEqual([]);
      // Byte order of UTF-8 in both stores, not a locale's: "B" < "b" < "é"; numbers are never strings.
      expect(await range("code", "gt:string", "B")).toEqual(["dec", "jan"]);
      expect(await range("code", "lt:string", "b")).toEqual(["mar"]);
      expect(await range("code", "gte:string", "")).toEqual(["dec", "jan", "mar"]);
      // A range both ways, and quotes or SQL as a bound are plain values.
      expect(
        await ids({
          meta: [
            { path: "shot", op: "gt:string", value: "2025" },
            { path: "shot", op: "lt:string", value: "2026-02" },
          ],
        }),
      ).toEqual(["dec", "jan"]);
      expect(await range("shot", "gt:string", "'; DROP TABLE images; --")).toEqual(["dec", "jan", "mar"]);
      expect(await store.count(T, { meta: [{ path: "shot", op: "gte:string", value: "2026" }] })).toBe(2);
    });

    it("forgets a deleted image, and moves an image to its new id", async () => {
      await fixture();
      expect(await store.count(T, { terms: ["hero"] })).toBe(2);
      await store.remove(T, "a1");
      expect(await store.count(T, { terms: ["hero"] })).toBe(1);
      await store.write(T, image("b2-new", { filename: "hero_small.png" }), "b2");
      expect(await ids({ terms: ["hero"] })).toEqual(["b2-new"]);
      expect(await store.count(T, {})).toBe(4);
      expect(await store.known(T, ["a1", "b2-new", "zz"])).toEqual(new Set(["a1", "b2-new"]));
    });

    it("adds a delta's unknown images only, never over a write or a delete", async () => {
      await store.write(T, image("x", { filename: "ours.png" }));
      await store.remove(T, "gone");
      await store.addUnknown(T, [image("x", { filename: "stale.png" }), image("gone"), image("new")]);
      expect(await ids()).toEqual(["new", "x"]);
      expect(
        (await store.page(T, { filter: { filename: "ours" }, order: { field: "id", direction: "asc" }, limit: 5 }))
          .length,
      ).toBe(1);
    });

    it("sweeps: takes the upstream's values, removes what it did not see, and records itself", async () => {
      await store.write(T, image("old"));
      await store.write(T, image("kept", { filename: "before.png" }));
      const mark = await store.beginSweep(T);
      expect(await store.count(T, {})).toBe(2);
      await store.sweepPage(T, mark, [image("kept", { filename: "after.png" }), image("new")]);
      expect(await store.count(T, {})).toBe(3);
      await store.finishSweep(T, mark, 2);
      expect(await store.count(T, {})).toBe(2);
      expect(await ids()).toEqual(["kept", "new"]);
      expect(await ids({ filename: "after" })).toEqual(["kept"]);
      const state = await store.syncState(T);
      expect(state.complete).toBe(true);
      expect(state.lastSweep?.images).toBe(2);
      expect(state.syncedAt).not.toBeNull();
    });

    it("never removes or reverts in a sweep what was written after it began", async () => {
      await store.write(T, image("edited", { filename: "v1.png" }));
      await store.write(T, image("deleted"));
      const mark = await store.beginSweep(T);
      // The sweep's pages were read before these writes landed.
      await store.write(T, image("edited", { filename: "v2.png" }));
      await store.remove(T, "deleted");
      await store.write(T, image("uploaded"));
      await store.addUnknown(T, [image("delta")]);
      await store.sweepPage(T, mark, [image("edited", { filename: "v1.png" }), image("deleted")]);
      await store.finishSweep(T, mark, 2);
      expect(await ids()).toEqual(["delta", "edited", "uploaded"]);
      expect(await ids({ filename: "v2" })).toEqual(["edited"]);
      // A later sweep that sees none of them removes them all.
      const next = await store.beginSweep(T);
      await store.finishSweep(T, next, 0);
      expect(await store.count(T, {})).toBe(0);
      expect(await store.known(T, ["deleted"])).toEqual(new Set());
    });

    it("counts every image exactly through writes, deletes, revivals, deltas and sweeps", async () => {
      const exact = async () => {
        const all = (await store.page(T, { filter: {}, order: { field: "id", direction: "asc" }, limit: 5000 })).map(
          (i) => i.id,
        );
        expect(await store.count(T, {})).toBe(all.length);
        expect(await store.count(T, { terms: ["big"] })).toBe(all.filter((id) => id.startsWith("big")).length);
        return all.length;
      };
      await store.write(T, image("a"));
      await store.write(T, image("a", { filename: "again.png" }));
      await store.remove(T, "never-seen");
      await store.remove(T, "a");
      await store.remove(T, "a");
      expect(await exact()).toBe(0);
      await store.write(T, image("a"));
      await store.addUnknown(T, [image("a"), image("b"), image("never-seen")]);
      expect(await exact()).toBe(2);
      await store.write(T, image("c"), "b");
      expect(await exact()).toBe(2);
      // A sweep page larger than a store's own slices, with an id the list repeated.
      const many = Array.from({ length: 2500 }, (_, i) => image(`big-${String(i).padStart(4, "0")}`));
      const mark = await store.beginSweep(T);
      await store.sweepPage(T, mark, [...many, image("a"), image("a")]);
      expect(await exact()).toBe(2502);
      await store.finishSweep(T, mark, 2501);
      expect(await exact()).toBe(2501);
      await store.remove(T, "big-0000");
      expect(await exact()).toBe(2500);
    });

    it("leaves a sweep unfinished without harm: the next one completes the index", async () => {
      await store.write(T, image("a"));
      const broken = await store.beginSweep(T);
      await store.sweepPage(T, broken, [image("a"), image("b")]);
      // No finishSweep: the process died here.
      expect((await store.syncState(T)).complete).toBe(false);
      const mark = await store.beginSweep(T);
      await store.sweepPage(T, mark, [image("b"), image("c")]);
      await store.finishSweep(T, mark, 2);
      expect(await ids()).toEqual(["b", "c"]);
    });

    it("runs one sweep at a time per tenant", async () => {
      let inner: string | undefined = "not run";
      const outer = await store.exclusively(T, async () => {
        inner = await store.exclusively(T, async () => "ran");
        return "outer";
      });
      expect(outer).toBe("outer");
      expect(inner).toBeUndefined();
      expect(await store.exclusively(T, async () => "again")).toBe("again");
    });

    it("keeps tenants apart", async () => {
      await store.write("tenant-a", image("a"));
      await store.write("tenant-b", image("b"));
      expect(
        (await store.page("tenant-a", { filter: {}, order: { field: "id", direction: "asc" }, limit: 5 })).map(
          (i) => i.id,
        ),
      ).toEqual(["a"]);
      expect(await store.count("tenant-b", {})).toBe(1);
      expect(await store.count(T, {})).toBe(0);
    });

    const facts = (
      width: number,
      height: number,
      byteSize: number,
      contentHash: string,
      format = "PNG",
    ): FactsRecord => ({
      status: "READY",
      facts: {
        width,
        height,
        byteSize,
        sourceFormat: format as "PNG",
        animated: false,
        hasAlpha: false,
        contentHash,
        placeholder: { thumbhash: "x", dataURL: "data:image/png;base64,", dominantColor: "#000000" },
      },
    });
    /** a1 and d4 hold the same bytes, as do b2 and e5; c3's facts are not known. */
    const factsFixture = async () => {
      await fixture();
      await store.facts.put(T, "a1", facts(800, 600, 5000, "h-big", "JPEG"));
      await store.facts.put(T, "b2", facts(100, 300, 700, "h-small"));
      await store.facts.put(T, "d4", facts(800, 600, 5000, "h-big", "JPEG"));
      await store.facts.put(T, "e5", facts(100, 300, 700, "h-small"));
      await store.facts.put(T, "c3", { status: "FAILED", reason: "truncated", byteSize: 9 });
    };

    it("keeps facts per tenant and image, with one claim at a time until put, release or lapse", async () => {
      expect(await store.facts.claim(T, "x", 1000, 61_000)).toBe(true);
      expect(await store.facts.claim(T, "x", 2000, 62_000)).toBe(false);
      expect(await store.facts.claim("other", "x", 2000, 62_000)).toBe(true);
      expect((await store.facts.getMany(T, ["x"])).size).toBe(0);
      // Lapsed: another process may take it.
      expect(await store.facts.claim(T, "x", 61_001, 121_001)).toBe(true);
      await store.facts.release(T, "x");
      expect(await store.facts.claim(T, "x", 61_002, 121_002)).toBe(true);
      const record = facts(3, 2, 10, "ab");
      await store.facts.put(T, "x", record);
      expect(await store.facts.claim(T, "x", 999_999_999, 999_999_999)).toBe(false);
      expect((await store.facts.getMany(T, ["x", "y"])).get("x")).toEqual(record);
      expect((await store.facts.getMany("other", ["x"])).size).toBe(0);
      await store.facts.release(T, "x");
      expect((await store.facts.getMany(T, ["x"])).get("x")).toEqual(record);
      await store.facts.forget(T, "x");
      expect((await store.facts.getMany(T, ["x"])).size).toBe(0);
    });

    it("filters by facts: ranges both ends included, formats; images without READY facts never match", async () => {
      await factsFixture();
      expect(await ids({ width: { min: 800 } })).toEqual(["a1", "d4"]);
      expect(await ids({ width: { min: 100, max: 100 } })).toEqual(["b2", "e5"]);
      expect(await ids({ height: { max: 299 } })).toEqual([]);
      expect(await ids({ byteSize: { min: 1, max: 5000 } })).toEqual(["a1", "b2", "d4", "e5"]);
      expect(await ids({ byteSize: { max: 9 } })).toEqual([]);
      expect(await ids({ sourceFormats: ["JPEG"] })).toEqual(["a1", "d4"]);
      expect(await ids({ sourceFormats: ["GIF", "PNG"], creator: "carol" })).toEqual(["e5"]);
      expect(await store.count(T, { sourceFormats: ["PNG"] })).toBe(2);
      expect(await store.count(T, { width: { min: 0 } })).toBe(4);
    });

    it("orders by bytes, width and height both ways, images without facts last, and pages by keyset", async () => {
      await factsFixture();
      // Ties broken by the id in the same direction.
      expect(await ids({}, { field: "bytes", direction: "desc" })).toEqual(["d4", "a1", "e5", "b2", "c3"]);
      expect(await ids({}, { field: "bytes", direction: "asc" })).toEqual(["b2", "e5", "a1", "d4", "c3"]);
      expect(await ids({}, { field: "height", direction: "desc" })).toEqual(["d4", "a1", "e5", "b2", "c3"]);
      // The reverse of an order, as a backward page reads it: nulls first.
      expect(await ids({}, { field: "width", direction: "asc", nulls: "first" })).toEqual([
        "c3",
        "b2",
        "e5",
        "a1",
        "d4",
      ]);
      for (const order of [
        { field: "bytes", direction: "asc" },
        { field: "width", direction: "desc" },
        { field: "bytes", direction: "desc", nulls: "first" },
        { field: "height", direction: "asc", nulls: "first" },
      ] as const) {
        const all = await ids({}, order);
        for (const limit of [1, 2]) {
          const walked: string[] = [];
          let after: Keyset | undefined;
          for (;;) {
            const page = await store.page(T, { filter: {}, order, after, limit });
            walked.push(...page.slice(0, limit).map((i) => i.id));
            if (page.length <= limit) break;
            const last = page[limit - 1] as Image;
            after = { value: keyOf(last, order.field), id: last.id };
          }
          expect(walked).toEqual(all);
        }
      }
    });

    it("groups images with the same bytes, most wasted first, paged by keyset; deleted images leave", async () => {
      await factsFixture();
      await store.write(T, image("f6"));
      await store.facts.put(T, "f6", facts(800, 600, 5000, "h-big", "JPEG"));
      const groups = await store.facts.duplicates(T, { limit: 10, imagesPerGroup: 10 });
      expect(groups.map((g) => [g.contentHash, g.count, g.byteSize, g.wastedBytes])).toEqual([
        ["h-big", 3, 5000, 10_000],
        ["h-small", 2, 700, 700],
      ]);
      // Earliest upload first.
      expect(groups[0]?.images.map((i) => i.id)).toEqual(["f6", "d4", "a1"]);
      const first = await store.facts.duplicates(T, { limit: 1, imagesPerGroup: 2 });
      expect(first).toHaveLength(2);
      expect(first[0]?.images.map((i) => i.id)).toEqual(["f6", "d4"]);
      const next = await store.facts.duplicates(T, {
        after: { wastedBytes: 10_000, contentHash: "h-big" },
        limit: 1,
        imagesPerGroup: 2,
      });
      expect(next.map((g) => g.contentHash)).toEqual(["h-small"]);
      await store.remove(T, "e5");
      expect((await store.facts.duplicates(T, { limit: 10, imagesPerGroup: 10 })).map((g) => g.contentHash)).toEqual([
        "h-big",
      ]);
    });

    it("finds the earliest live image holding given bytes", async () => {
      await factsFixture();
      expect((await store.facts.imageWithHash(T, "h-big"))?.id).toBe("d4");
      await store.remove(T, "d4");
      expect((await store.facts.imageWithHash(T, "h-big"))?.id).toBe("a1");
      expect(await store.facts.imageWithHash(T, "nothing")).toBeUndefined();
      expect(await store.facts.imageWithHash("other", "h-big")).toBeUndefined();
    });
  });
}
