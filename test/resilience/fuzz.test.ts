import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { runFuzz } from "../support/fuzz.ts";
import { killServerProcesses, postGraphQL, type ServerProcess, startServerProcess } from "../support/server-process.ts";

// The full-size run is `npm run bench -- fuzz` (10,000 requests); this one is small enough for the suite.
const REQUESTS = 1000;
const SEED = 20_261_201;

let emulator: TestEmulator;
let server: ServerProcess;

beforeAll(async () => {
  emulator = await startTestEmulator({ seed: true });
  await emulator.admin("POST", "/images", { count: 30 });
  server = await startServerProcess(emulator);
});
afterAll(async () => {
  killServerProcesses();
  await emulator.close();
});

describe("hostile and broken requests", () => {
  it(`${REQUESTS} of them (seed ${SEED}): no answer of 500 or more, every error coded, data unchanged`, async () => {
    const report = await runFuzz(server.origin, emulator, { seed: SEED, count: REQUESTS, concurrency: 8 });
    expect(report.failures).toEqual([]);
    expect(report.dataUnchanged).toBe(true);
    // The generator reached every family of request, and the server refused what it should.
    expect(Object.keys(report.statuses).length).toBeGreaterThan(40);
    const refused = Object.values(report.statuses).reduce((n, byStatus) => n + (byStatus[400] ?? 0), 0);
    expect(refused).toBeGreaterThan(REQUESTS / 5);
    expect(server.alive(), server.output().slice(-2000)).toBe(true);
    const after = await postGraphQL<{ images: { edges: unknown[] } }>(
      server.origin,
      "{ images(first: 3) { edges { cursor } } }",
    );
    expect(after.body.data?.images.edges).toHaveLength(3);
  }, 120_000);
});
