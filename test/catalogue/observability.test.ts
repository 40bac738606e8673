import { beforeAll, describe, expect, it } from "vitest";
import { captureLogs } from "../support/logs.ts";
import { scrape, sumOf } from "../support/metrics.ts";
import { useTestStack } from "../support/server.ts";
import { catalogueReady, uploadAll } from "./fixtures.ts";

const logs = captureLogs("info");
const stack = useTestStack({ env: { CATALOGUE: "on" }, logger: logs.logger });

beforeAll(async () => {
  await uploadAll(stack.emulator, [{ name: "a.png" }, { name: "b.png" }, { name: "c.png" }]);
  await stack.app.catalogue.sweepNow();
  await catalogueReady(stack.gql);
});

const lineOf = (operationName: string) => logs.lines().find((line) => line.operationName === operationName);

describe("the catalogue, visible", () => {
  it("says in the request log whether the catalogue or the upstream served a query", async () => {
    await stack.gql('query Searched { images(search: "b.png") { edges { node { imageId } } } }');
    await stack.gql("query Listed { images(first: 1) { edges { node { imageId } } } }");
    await stack.gql("query Counted { images(first: 1) { totalCount edges { node { imageId } } } }");
    expect(lineOf("Searched")).toMatchObject({
      servedBy: "catalogue",
      catalogue: { queries: 1 },
      upstream: { calls: 0 },
    });
    expect(lineOf("Listed")).toMatchObject({ servedBy: "upstream", catalogue: { queries: 0 }, upstream: { calls: 1 } });
    expect(lineOf("Counted")).toMatchObject({ servedBy: "both" });
  });

  it("has its size, sweeps, deltas and lag in /metrics", async () => {
    const { samples } = await scrape(stack.server.url);
    expect(sumOf(samples, "catalogue_images")).toBe(3);
    expect(sumOf(samples, "catalogue_ready")).toBe(1);
    expect(sumOf(samples, "catalogue_sweep_duration_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(sumOf(samples, "catalogue_sweep_upstream_calls_total")).toBeGreaterThanOrEqual(2);
    expect(samples.some((s) => s.name === "catalogue_sync_age_seconds")).toBe(true);
    expect(samples.some((s) => s.name === "catalogue_delta_duration_seconds_count")).toBe(true);
    expect(samples.some((s) => s.name === "catalogue_write_apply_seconds_count")).toBe(true);
  });
});
