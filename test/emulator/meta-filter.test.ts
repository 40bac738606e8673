import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { expectRefused, uploaded, type WireImage } from "../support/images.ts";

/** Named images and their metadata; each test lists the names a filter must select. */
const CATALOGUE: Record<string, { meta: Record<string, unknown>; creator?: string }> = {
  alpha: {
    meta: { status: "active", priority: 5, enabled: true, rating: 4, region: { name: "eu-west", zone: { code: "a" } } },
    creator: "ann",
  },
  beta: { meta: { status: "pending", priority: "5", enabled: "true", rating: 5, region: { name: "us-east" } } },
  gamma: { meta: { status: "deleted", priority: 1, enabled: false, rating: 2.5, tags: ["x"] }, creator: "ann" },
  delta: { meta: {} },
  deep: { meta: { a: { b: { c: { d: { e: "bottom", f: { g: 1 } } } } }, status: "active" } },
};

let emulator: TestEmulator;
const nameOf = new Map<string, string>();

beforeAll(async () => {
  emulator = await startTestEmulator();
  for (const [name, { meta, creator }] of Object.entries(CATALOGUE)) {
    const image = await uploaded(emulator, { metadata: JSON.stringify(meta), ...(creator ? { creator } : {}) });
    nameOf.set(image.id, name);
  }
});
afterAll(() => emulator.close());

/** Names of the images a raw query string selects (the string is sent as is, so brackets may be literal). */
async function select(query: string): Promise<string[]> {
  const answer = await emulator.api<{ images: WireImage[] }>("GET", `/v2?${query}`);
  expect(answer.status, JSON.stringify(answer.body.errors)).toBe(200);
  return answer.body.result.images.map((image) => nameOf.get(image.id) as string).sort();
}

describe("metadata filter operators", () => {
  it.each([
    ["meta.status[eq]=active", ["alpha", "deep"]],
    ["meta.priority[eq]=5", ["alpha", "beta"]],
    ["meta.enabled[eq]=true", ["alpha", "beta"]],
    ["meta.status[eq:string]=pending", ["beta"]],
    ["meta.priority[eq:string]=5", ["beta"]],
    ["meta.priority[eq:number]=5", ["alpha"]],
    ["meta.rating[eq:number]=2.5", ["gamma"]],
    ["meta.enabled[eq:boolean]=true", ["alpha"]],
    ["meta.enabled[eq:boolean]=false", ["gamma"]],
    ["meta.priority[gt]=1", ["alpha"]],
    ["meta.priority[gt:number]=1", ["alpha"]],
    ["meta.priority[gte]=1", ["alpha", "gamma"]],
    ["meta.priority[gte:number]=5", ["alpha"]],
    ["meta.rating[lt]=4", ["gamma"]],
    ["meta.rating[lt:number]=5", ["alpha", "gamma"]],
    ["meta.rating[lte]=4", ["alpha", "gamma"]],
    ["meta.rating[lte:number]=-1", []],
    ["meta.status[in]=active|pending", ["alpha", "beta", "deep"]],
    ["meta.priority[in]=5|1", ["alpha", "beta", "gamma"]],
    ["meta.priority[in:string]=5|1", ["beta"]],
    ["meta.priority[in:number]=5|1", ["alpha", "gamma"]],
    ["meta.region.name[eq]=eu-west", ["alpha"]],
    ["meta.region.zone.code[eq]=a", ["alpha"]],
    ["meta.a.b.c.d.e[eq]=bottom", ["deep"]],
    ["meta.tags[eq]=x", []],
    ["meta.missing[eq]=x", []],
  ])("%s", async (query, names) => {
    expect(await select(query)).toEqual(names);
  });

  it("reads percent-encoded brackets, as the official SDK sends them", async () => {
    expect(await select("meta.status%5Beq%5D=active")).toEqual(["alpha", "deep"]);
  });

  it("combines filters with AND, also with creator; contradictory filters select nothing", async () => {
    expect(await select("meta.status[eq]=active&meta.priority[eq:number]=5")).toEqual(["alpha"]);
    expect(await select("meta.priority[gte:number]=1&creator=ann")).toEqual(["alpha", "gamma"]);
    expect(await select("meta.priority[eq:number]=5&meta.priority[lte:number]=3")).toEqual([]);
  });

  it("accepts the limits themselves: 5 filters, 5 levels, 10 in values", async () => {
    const five = Array.from({ length: 5 }, () => "meta.status[eq]=active").join("&");
    expect(await select(five)).toEqual(["alpha", "deep"]);
    const ten = ["active", ...Array.from({ length: 9 }, (_, i) => `v${i}`)].join("|");
    expect(await select(`meta.status[in]=${ten}`)).toEqual(["alpha", "deep"]);
  });

  it("keeps filtering across continuation pages", async () => {
    for (let i = 0; i < 12; i++) await uploaded(emulator, { metadata: JSON.stringify({ batch: "paged", i }) });
    const first = await emulator.api<{ images: WireImage[]; continuation_token: string }>(
      "GET",
      "/v2?per_page=10&meta.batch[eq]=paged",
    );
    const token = first.body.result.continuation_token;
    const second = await emulator.api<{ images: WireImage[]; continuation_token: string | null }>(
      "GET",
      `/v2?per_page=10&meta.batch[eq]=paged&continuation_token=${token}`,
    );
    expect(first.body.result.images).toHaveLength(10);
    expect(second.body.result.images.map((image) => image.meta.i)).toEqual([1, 0]);
    expect(second.body.result.continuation_token).toBeNull();
  });
});

describe("metadata filter refusals name the filter", () => {
  it.each([
    ["more than 5 filters", Array.from({ length: 6 }, (_, i) => `meta.k${i}[eq]=1`).join("&"), "meta.k5[eq]"],
    ["more than 5 levels", "meta.a.b.c.d.e.f[eq]=1", "meta.a.b.c.d.e.f[eq]"],
    ["more than 10 in values", `meta.s[in]=${Array.from({ length: 11 }, (_, i) => i).join("|")}`, "meta.s[in]"],
    ["an unknown operator", "meta.status[like]=act", "meta.status[like]"],
    ["a missing operator", "meta.status=active", "meta.status"],
    ["the SDK's nested-object form", "meta.status.eq=active", "meta.status.eq"],
    ["an empty path segment", "meta.region..name[eq]=x", "meta.region..name[eq]"],
    ["no path", "meta[eq]=x", "meta[eq]"],
    ["a range on a string", "meta.priority[gt]=high", "meta.priority[gt]"],
    ["a range on a boolean", "meta.priority[lte:number]=true", "meta.priority[lte:number]"],
    ["eq:number on a word", "meta.priority[eq:number]=five", "meta.priority[eq:number]"],
    ["eq:boolean on a word", "meta.enabled[eq:boolean]=yes", "meta.enabled[eq:boolean]"],
    ["in:number with a word", "meta.priority[in:number]=1|two", "meta.priority[in:number]"],
  ])("refuses %s with 400", async (_case, query, parameter) => {
    const answer = await expectRefused(emulator, () => emulator.api("GET", `/v2?${query}`), 400, 5400);
    expect(answer.body.errors[0]?.message).toContain(`"${parameter}"`);
  });
});
