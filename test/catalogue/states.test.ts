import { afterEach, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../support/server.ts";
import { catalogueReady, IMAGES } from "./fixtures.ts";

let stack: TestStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const STATUS = "{ catalogue { status images syncedAt lastSweep { startedAt durationMs images } } }";
const UPSTREAM_PAGE = "{ images(first: 2) { edges { node { imageId } } } }";

describe("catalogue states", () => {
  it("off: catalogue-only arguments and totalCount are refused with CATALOGUE_OFF, the rest works", async () => {
    stack = await startTestStack({ env: { CATALOGUE: "off" } });
    const status = await stack.gql<{ catalogue: { status: string; images: number | null } }>(STATUS);
    expect(status.data?.catalogue).toMatchObject({ status: "OFF", images: null, syncedAt: null, lastSweep: null });
    for (const variables of [{ search: "x" }, { orderBy: { field: "FILENAME" } }, {}]) {
      const answer = await stack.gql(IMAGES, variables);
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "CATALOGUE_OFF" });
      expect(answer.data).toBeNull();
    }
    expect((await stack.gql(UPSTREAM_PAGE)).errors).toBeUndefined();
    // A string range is the catalogue's own operator: refused, never sent upstream, even without totalCount.
    const ranged = await stack.gql(
      '{ images(first: 2, filter: { meta: [{ path: "album", op: GT_STRING, value: "a" }] }) { edges { node { imageId } } } }',
    );
    expect(ranged.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "CATALOGUE_OFF" });
    expect(ranged.data).toBeNull();
  });

  it("syncing: a typed error with retryAfter, never a partial answer; upstream-servable queries keep working", async () => {
    // Every upstream answer takes a while: the first sweep is still reading when the queries arrive.
    stack = await startTestStack({ env: { CATALOGUE: "on" }, emulator: { latencyMs: 1500 } });
    const status = await stack.gql<{ catalogue: { status: string } }>(STATUS);
    expect(status.data?.catalogue.status).toBe("SYNCING");
    const answer = await stack.gql(IMAGES, { search: "x" });
    expect(answer.data).toBeNull();
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      reason: "CATALOGUE_SYNCING",
      retryAfter: 5,
    });
    expect((await stack.gql(UPSTREAM_PAGE)).errors).toBeUndefined();
    await catalogueReady(stack.gql);
    const ready = await stack.gql<{ catalogue: { status: string; images: number; lastSweep: { images: number } } }>(
      STATUS,
    );
    expect(ready.data?.catalogue).toMatchObject({ status: "READY", images: 0, lastSweep: { images: 0 } });
    expect((await stack.gql(IMAGES, { search: "x" })).errors).toBeUndefined();
  });

  it("sweeps through the v2 list at 10,000 a page, on the batch host when it is on", async () => {
    stack = await startTestStack({ env: { CATALOGUE: "on", UPSTREAM_BATCH: "auto" } });
    await catalogueReady(stack.gql);
    await stack.emulator.admin("POST", "/images", { count: 1500 });
    await stack.emulator.reset();
    await stack.app.catalogue.sweepNow();
    const status = await stack.gql<{ catalogue: { images: number; lastSweep: { images: number } } }>(STATUS);
    expect(status.data?.catalogue).toMatchObject({ images: 1500, lastSweep: { images: 1500 } });
    // One call for 1,500 images: more than the list's default page of 1,000.
    const counts = await stack.emulator.counts();
    expect(counts["GET /batch/images/v2"]).toBe(1);
    expect(counts["GET /accounts/{account_id}/images/v2"]).toBeUndefined();
  });
});
