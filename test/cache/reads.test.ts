import { afterEach, describe, expect, it } from "vitest";
import {
  DETAIL,
  type DetailAnswer,
  eventually,
  GALLERY,
  type GalleryAnswer,
  READS,
  seedImages,
  upstreamReads,
} from "../support/cache.ts";
import { type InProcessStack, type InProcessStackOptions, startInProcessStack } from "../support/in-process.ts";

const stacks: InProcessStack[] = [];
async function stackWith(
  env: Record<string, string> = {},
  options: InProcessStackOptions = {},
): Promise<InProcessStack> {
  const stack = await startInProcessStack({ ...options, env: { CACHE: "on", ...env } });
  stacks.push(stack);
  return stack;
}
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.close()));
});

/** A frontend's visit: a gallery page of 20, then the details of three of its images. */
async function visit(stack: InProcessStack): Promise<GalleryAnswer> {
  const gallery = await stack.gql<GalleryAnswer>(GALLERY, { first: 20 });
  expect(gallery.errors).toBeUndefined();
  const edges = gallery.data?.images.edges ?? [];
  for (const edge of edges.slice(0, 3)) {
    const detail = await stack.gql<DetailAnswer>(DETAIL, { id: edge.node.imageId });
    expect(detail.data?.image?.imageId).toBe(edge.node.imageId);
  }
  return gallery.data as GalleryAnswer;
}

describe("the entity cache in one process", () => {
  it("answers repeated visits without the upstream: the first costs the list and the count, the next ones nothing", async () => {
    const stack = await stackWith();
    await seedImages(stack.emulator, 30);
    await stack.emulator.reset();
    const first = await visit(stack);
    const afterFirst = await stack.emulator.counts();
    // The details come from the records the list primed.
    expect(afterFirst[READS.list]).toBe(1);
    expect(afterFirst[READS.stats]).toBe(1);
    expect(afterFirst[READS.image] ?? 0).toBe(0);
    const firstCost = await upstreamReads(stack.emulator);
    for (let i = 0; i < 9; i++) expect(await visit(stack)).toEqual(first);
    expect(await upstreamReads(stack.emulator)).toBe(firstCost);
  });

  it("costs every visit its calls again with CACHE=off", async () => {
    const stack = await stackWith({ CACHE: "off" });
    await seedImages(stack.emulator, 30);
    await stack.emulator.reset();
    await visit(stack);
    const one = await upstreamReads(stack.emulator);
    for (let i = 0; i < 4; i++) await visit(stack);
    expect(await upstreamReads(stack.emulator)).toBe(5 * one);
  });

  it("remembers an unknown id briefly: a second lookup within the not-found TTL costs nothing", async () => {
    const stack = await stackWith({ CACHE_NOT_FOUND_TTL_SECONDS: "1" });
    await stack.emulator.reset();
    for (let i = 0; i < 3; i++) {
      const answer = await stack.gql<DetailAnswer>(DETAIL, { id: "nobody/here" });
      expect(answer.data?.image).toBeNull();
    }
    expect(await upstreamReads(stack.emulator, READS.image)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await stack.gql<DetailAnswer>(DETAIL, { id: "nobody/here" });
    expect(await upstreamReads(stack.emulator, READS.image)).toBe(2);
  });

  it("reads through with Cache-Control: no-cache, and keeps what it read for the next request", async () => {
    const stack = await stackWith();
    const [id] = await seedImages(stack.emulator, 1, "before");
    const read = (headers?: Record<string, string>) =>
      stack.gql<DetailAnswer>(DETAIL, { id }, headers).then((a) => a.data?.image?.creator);
    expect(await read()).toBe("before");
    // Changed elsewhere (the dashboard): the cache cannot know.
    await stack.emulator.api("PATCH", `/v1/${id}`, { json: { creator: "after" } });
    expect(await read()).toBe("before");
    await stack.emulator.reset();
    expect(await read({ "cache-control": "no-cache" })).toBe("after");
    expect(await read()).toBe("after");
    expect(await upstreamReads(stack.emulator, READS.image)).toBe(1);
  });

  it("serves a stale entry at once while one refresh runs, then the refreshed one", async () => {
    const stack = await stackWith({ CACHE_IMAGE_TTL_SECONDS: "1", CACHE_MAX_STALE_SECONDS: "60" });
    const [id] = await seedImages(stack.emulator, 1, "before");
    const read = () => stack.gql<DetailAnswer>(DETAIL, { id }).then((a) => a.data?.image?.creator);
    expect(await read()).toBe("before");
    await stack.emulator.api("PATCH", `/v1/${id}`, { json: { creator: "after" } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await stack.emulator.reset();
    // A slow upstream: the refresh is still running while the three readers come and go.
    await stack.emulator.admin("POST", "/latency", { ms: 500, route: "/accounts/{account_id}/images/v1/{image_id}" });
    // Past its freshness: every reader gets the stale record at once, and one refresh runs.
    expect(await Promise.all([read(), read(), read()])).toEqual(["before", "before", "before"]);
    await eventually(async () => (await read()) === "after");
    expect(await upstreamReads(stack.emulator, READS.image)).toBe(1);
  });

  it("serves nothing older than the max staleness: past it, the reader waits for the upstream", async () => {
    const stack = await stackWith({ CACHE_IMAGE_TTL_SECONDS: "1", CACHE_MAX_STALE_SECONDS: "0" });
    const [id] = await seedImages(stack.emulator, 1, "before");
    const read = () => stack.gql<DetailAnswer>(DETAIL, { id }).then((a) => a.data?.image?.creator);
    expect(await read()).toBe("before");
    await stack.emulator.api("PATCH", `/v1/${id}`, { json: { creator: "after" } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await read()).toBe("after");
  });

  it("keeps nothing of a kind whose TTL is 0", async () => {
    const stack = await stackWith({ CACHE_STATS_TTL_SECONDS: "0" });
    await stack.emulator.reset();
    for (let i = 0; i < 3; i++) await stack.gql(`{ stats { current } }`);
    expect(await upstreamReads(stack.emulator, READS.stats)).toBe(3);
  });

  it("answers variants and signing keys once for many requests", async () => {
    const stack = await stackWith({}, { emulator: { seed: true } });
    await stack.emulator.reset();
    for (let i = 0; i < 5; i++) {
      const answer = await stack.gql<{ variants: { name: string }[]; signingKeys: { name: string }[] }>(
        `{ variants { name } signingKeys { name } }`,
      );
      expect(answer.data?.variants.length).toBeGreaterThan(0);
      expect(answer.data?.signingKeys.length).toBeGreaterThan(0);
    }
    const counts = await stack.emulator.counts();
    expect(counts[READS.variants]).toBe(1);
    expect(counts[READS.keys]).toBe(1);
  });
});
