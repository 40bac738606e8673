import { describe, expect, it } from "vitest";
import { MIGRATIONS, type Migration, pendingMigrations } from "../../src/catalogue/migrations.ts";

const step = (version: number): Migration => ({
  version,
  sqlite: [`CREATE TABLE step_${version} (x INTEGER)`],
  postgres: [],
});

describe("catalogue migrations", () => {
  it("runs each step not recorded, lowest first, whatever the gaps (4 may land before 3)", () => {
    const all = [step(1), step(4), step(3)];
    expect(pendingMigrations(new Set([1]), all).map((m) => m.version)).toEqual([3, 4]);
    expect(pendingMigrations(new Set([1, 4]), all).map((m) => m.version)).toEqual([3]);
    expect(pendingMigrations(new Set([1, 3, 4]), all)).toEqual([]);
  });

  it("has unique versions, facts as step 4", () => {
    const versions = MIGRATIONS.map((m) => m.version);
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions).toContain(4);
  });
});
