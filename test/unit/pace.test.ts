import { describe, expect, it } from "vitest";
import { Pace } from "../../src/jobs/pace.ts";

// Lower bounds only: a slow machine can make a pace slower, never faster, so these cannot flake.
describe("a bulk job's pace", () => {
  it("never lets calls through faster than its rate, beyond the few slots it may catch up", async () => {
    const pace = new Pace(200);
    const signal = new AbortController().signal;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 5; i++) await pace.take(signal);
      }),
    );
    // 40 calls at 200 a second: the first at once, then one every 5 ms, less at most 4 caught-up slots.
    expect(performance.now() - started).toBeGreaterThanOrEqual((40 - 1 - 4) * 5 - 1);
  });

  it("holds every call back after a 429 for its Retry-After, with no burst after it", async () => {
    const pace = new Pace(1000);
    const signal = new AbortController().signal;
    await pace.take(signal);
    pace.pause(60);
    const paused = performance.now();
    for (let i = 0; i < 5; i++) await pace.take(signal);
    // The first call after the pause waits it out; the next four are spaced 1 ms apart, not let through at once.
    expect(performance.now() - paused).toBeGreaterThanOrEqual(60 + 4 - 1);
  });

  it("starts a job without a burst, however long the pace was idle", async () => {
    const pace = new Pace(20);
    const signal = new AbortController().signal;
    await new Promise((resolve) => setTimeout(resolve, 250));
    const started = performance.now();
    for (let i = 0; i < 3; i++) await pace.take(signal);
    // The first at once, then one every 50 ms: the quarter second of idleness bought nothing.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 50 - 1);
  });
});
