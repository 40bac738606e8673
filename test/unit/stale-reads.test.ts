import { describe, expect, it } from "vitest";
import { StaleReadChecker } from "../../bench/lib/stale-reads.ts";

const rev = (n: number) => ({ present: true as const, rev: n });
const absent = { present: false as const };

/** An image seeded at 0 ms with revision 0, edited to revision 1 (answered at 100 ms) and 2 (at 200 ms). */
function edited(): StaleReadChecker {
  const checker = new StaleReadChecker();
  checker.written("a", 0, 0);
  checker.written("a", 1, 100);
  checker.written("a", 2, 200);
  return checker;
}

describe("stale-read checker (bench frontend)", () => {
  it("flags a read that started after an edit answered and returns an older revision", () => {
    const checker = edited();
    expect(checker.observe("a", rev(1), 250)).toBe(true);
    expect(checker.observe("a", rev(0), 150)).toBe(true);
    expect(checker.stale).toEqual([
      { imageId: "a", observed: 1, expected: 2, writeAnsweredMsBefore: 50 },
      { imageId: "a", observed: 0, expected: 1, writeAnsweredMsBefore: 50 },
    ]);
    expect(checker.checked).toBe(2);
    expect(checker.checkedAfterChange).toBe(2);
  });

  it("compares by the read's start: a read begun before the answer may return either state", () => {
    const checker = edited();
    expect(checker.observe("a", rev(1), 199)).toBe(false);
    expect(checker.observe("a", rev(0), 99)).toBe(false);
    // Started at the very moment of the answer: not after it.
    expect(checker.observe("a", rev(1), 200)).toBe(false);
    expect(checker.stale).toEqual([]);
  });

  it("accepts the current revision and a newer one (a write still in flight)", () => {
    const checker = edited();
    expect(checker.observe("a", rev(2), 300)).toBe(false);
    expect(checker.observe("a", rev(3), 300)).toBe(false);
    expect(checker.stale).toEqual([]);
  });

  it("ignores images it knows nothing about", () => {
    const checker = edited();
    expect(checker.observe("unknown", rev(0), 300)).toBe(false);
    expect(checker.observe("unknown", absent, 300)).toBe(false);
    expect(checker.checkedAfterChange).toBe(0);
  });

  it("flags an image that is missing after its upload answered, unless a delete was sent", () => {
    const checker = new StaleReadChecker();
    checker.written("new", 0, 100);
    expect(checker.observe("new", absent, 50)).toBe(false);
    expect(checker.observe("new", absent, 150)).toBe(true);
    checker.deleting("new");
    expect(checker.observe("new", absent, 160)).toBe(false);
    expect(checker.stale).toEqual([{ imageId: "new", observed: "absent", expected: 0, writeAnsweredMsBefore: 50 }]);
    // Reads compared against the creation alone: no edit a cache could have missed.
    expect(checker.checkedAfterChange).toBe(0);
  });

  it("flags a deleted image that is still returned by a read begun after the delete answered", () => {
    const checker = edited();
    checker.deleting("a");
    expect(checker.observe("a", rev(2), 250)).toBe(false);
    checker.deleted("a", 300);
    expect(checker.observe("a", rev(2), 299)).toBe(false);
    expect(checker.observe("a", absent, 301)).toBe(false);
    expect(checker.observe("a", rev(2), 301)).toBe(true);
    expect(checker.stale.at(-1)).toEqual({ imageId: "a", observed: 2, expected: "deleted", writeAnsweredMsBefore: 1 });
  });

  it("refuses writes recorded out of the order they answered (the checker would be wrong)", () => {
    const checker = edited();
    expect(() => checker.written("a", 3, 150)).toThrow(/order they answered/);
  });
});
