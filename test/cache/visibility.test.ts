import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DETAIL, GALLERY, seedImages } from "../support/cache.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { captureLogs } from "../support/logs.ts";
import { scrape, sumOf } from "../support/metrics.ts";
import { startTestStack, type TestStack, useTestStack } from "../support/server.ts";
import { startTokenRouter, type TokenRouter } from "../support/token-router.ts";

describe("what the entity cache did, in /metrics and the request log", () => {
  const logs = captureLogs("info");
  const stack = useTestStack({ env: { CACHE: "on" }, logger: logs.logger });

  it("counts hits, misses, stale serves, calls saved and invalidations", async () => {
    const [id] = (await seedImages(stack.emulator, 3)) as [string];
    const before = (await scrape(stack.server.url)).samples;
    await stack.gql(`query Cold { images(first: 10) { edges { node { imageId } } } }`);
    await stack.gql(
      `query Warm($id: ID!) { image(imageId: $id) { imageId } images(first: 10) { edges { node { imageId } } } }`,
      {
        id,
      },
    );
    await stack.gql(`mutation Edit($id: ID!) { updateImage(input: { imageId: $id, creator: "x" }) { __typename } }`, {
      id,
    });
    const after = (await scrape(stack.server.url)).samples;
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);
    expect(delta("entity_cache_lookups_total", { kind: "imageList", outcome: "miss", level: "upstream" })).toBe(1);
    expect(delta("entity_cache_lookups_total", { kind: "imageList", outcome: "hit", level: "local" })).toBe(1);
    expect(delta("entity_cache_lookups_total", { kind: "image", outcome: "hit", level: "local" })).toBe(1);
    expect(delta("entity_cache_upstream_calls_saved_total")).toBe(2);
    expect(delta("entity_cache_invalidations_total", { dependency: "image" })).toBe(1);
    // An edit keeps every image where it is listed: only the pages showing it (and filtered lists) end.
    expect(delta("entity_cache_invalidations_total", { dependency: "imageList" })).toBe(0);
    expect(delta("entity_cache_invalidations_total", { dependency: "filteredLists" })).toBe(1);
    expect(delta("entity_cache_invalidations_total", { dependency: "imageWrites" })).toBe(1);
    // The list page and its three primed records; the update ended one record and the page, which stay until pushed out.
    expect(sumOf(after, "entity_cache_entries")).toBe(4);
    expect(sumOf(after, "entity_cache_bytes")).toBeGreaterThan(0);

    const line = (name: string) => logs.lines().find((l) => l.operationName === name);
    expect(line("Cold")).toMatchObject({
      cache: { hits: 0, stale: 0, misses: 1, invalidations: 0 },
      upstream: { calls: 1 },
    });
    expect(line("Warm")).toMatchObject({ cache: { hits: 2, stale: 0, misses: 0 }, upstream: { calls: 0 } });
    expect(line("Edit")).toMatchObject({ cache: { invalidations: 3 } });
  });
});

describe("tenants in AUTH_MODE=forward", () => {
  const ALICE = "alice-cloudflare-token";
  const BOB = "bob-cloudflare-token";
  let router: TokenRouter;
  let bob: TestEmulator;
  let stack: TestStack;

  beforeAll(async () => {
    router = await startTokenRouter();
    bob = await startTestEmulator({ token: BOB });
    stack = await startTestStack({
      emulator: { token: ALICE },
      env: { AUTH_MODE: "forward", CACHE: "on" },
      upstreamBaseUrl: router.baseUrl,
    });
    router.route(ALICE, stack.emulator.origin);
    router.route(BOB, bob.origin);
    router.fallback(stack.emulator.origin);
    await seedImages(stack.emulator, 3, "alice");
    await seedImages(bob, 4, "bob");
  });
  afterAll(async () => {
    await stack.close();
    await bob.close();
    await router.close();
  });

  it("never serves one token's cached entries to another; each is cached on its own", async () => {
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const creators = async (token: string) => {
      const answer = await stack.gql<{ images: { edges: { node: { creator: string } }[] } }>(
        GALLERY,
        { first: 20 },
        as(token),
      );
      return new Set(answer.data?.images.edges.map((e) => e.node.creator));
    };
    await stack.emulator.reset();
    await bob.reset();
    for (let i = 0; i < 3; i++) {
      expect(await creators(ALICE)).toEqual(new Set(["alice"]));
      expect(await creators(BOB)).toEqual(new Set(["bob"]));
    }
    const aliceIds = await stack.emulator.api<{ images: { id: string }[] }>("GET", "/v2");
    const aliceId = aliceIds.body.result.images[0]?.id as string;
    const asBob = await stack.gql<{ image: unknown }>(DETAIL, { id: aliceId }, as(BOB));
    expect(asBob.data?.image).toBeNull();
    const list = "GET /accounts/{account_id}/images/v2";
    // Alice's account: the server's one read of the list and the test's own; Bob's: the server's one.
    expect((await stack.emulator.counts())[list]).toBe(2);
    expect((await bob.counts())[list]).toBe(1);
  });
});
