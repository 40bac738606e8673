import { describe, expect, it } from "vitest";
import { captureLogs } from "../support/logs.ts";
import { scrape } from "../support/metrics.ts";
import { useTestStack } from "../support/server.ts";

const logs = captureLogs("info");
const stack = useTestStack({ logger: logs.logger });

/** A valid GraphQL name of about `kb` kilobytes, distinct per `seed`. */
const hugeName = (seed: number, kb: number) => `Op${seed}_${"x".repeat(kb * 1024)}`;

describe("bounded telemetry", () => {
  it("keeps /metrics within a few KB and log lines short, whatever operation names clients send", async () => {
    // Warmed up, so that only the operations' own series are new.
    await stack.gql(`query Warm { stats { current } }`);
    const before = (await scrape(stack.server.url)).text.length;
    for (let i = 0; i < 5; i++) {
      const answer = await stack.gql(`query ${hugeName(i, 80)} { stats { current } }`);
      expect(answer.errors).toBeUndefined();
    }
    const after = await scrape(stack.server.url);
    // Five new names, each one counter and one histogram (about 2 KB): not the 400 KB of names sent
    // (6.5 MB of /metrics before names were bounded).
    expect(after.text.length - before).toBeLessThan(5 * 3 * 1024);
    const labels = new Set(
      after.samples.filter((s) => s.name === "graphql_requests_total").map((s) => s.labels.operation ?? ""),
    );
    const bounded = [...labels].filter((label) => label.startsWith("Op"));
    // Each name cut short, and still told apart from the others by its hash.
    expect(bounded).toHaveLength(5);
    for (const label of bounded) expect(label.length).toBeLessThanOrEqual(64);

    const lines = logs.lines().filter((line) => line.msg === "graphql request");
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) expect(JSON.stringify(line).length).toBeLessThan(2048);
    const logged = new Set(lines.map((line) => line.operationName));
    for (const label of bounded) expect(logged).toContain(label);
  });

  it("bounds the label set in bytes as well as in count", async () => {
    // 200 names of about 60 bytes pass the 8 KB budget before the 200-name cap.
    for (let i = 0; i < 200; i++) {
      await stack.gql(`query Name${i}_${"y".repeat(50)} { __typename }`);
    }
    const { samples } = await scrape(stack.server.url);
    const labels = new Set(
      samples.filter((s) => s.name === "graphql_requests_total").map((s) => s.labels.operation ?? ""),
    );
    const bytes = [...labels].reduce((total, label) => total + Buffer.byteLength(label), 0);
    expect(bytes).toBeLessThanOrEqual(8 * 1024 + 64);
    expect(labels).toContain("other");
  });
});
