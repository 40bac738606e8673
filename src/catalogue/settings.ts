import type { EnvReader } from "../config.ts";

/** The catalogue: the account's index for search, sort and counts (DESIGN §10). */
export interface CatalogueConfig {
  /** `CATALOGUE=off`: every query is served by the upstream, and catalogue-only arguments are refused. */
  readonly enabled: boolean;
  /** `CATALOGUE_DIR`: the embedded store's file lives here (kept across restarts); absent: in memory. */
  readonly dir: string | undefined;
  /** `DATABASE_URL`: a PostgreSQL server shared by replicas instead of the embedded store. */
  readonly databaseUrl: string | undefined;
  /** `CATALOGUE_SWEEP_MINUTES`: minutes between two full sweeps of the upstream list. */
  readonly sweepMinutes: number;
  /** `CATALOGUE_DELTA_SECONDS`: seconds between two newest-first deltas (0: none). */
  readonly deltaSeconds: number;
  /** `CATALOGUE_SWEEP_PAGE_SIZE`: `per_page` of a sweep's list calls (the v2 list's maximum by default). */
  readonly sweepPageSize: number;
}

/** Reads the `CATALOGUE*` settings and `DATABASE_URL`; each bad value is reported under its own name. */
export function readCatalogueConfig(read: EnvReader, problems: string[]): CatalogueConfig {
  const enabled = (read.oneOf("CATALOGUE", ["on", "off"] as const) ?? "on") === "on";
  const databaseUrl = read.string("DATABASE_URL");
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/\S+$/.test(databaseUrl)) {
    // The URL may hold a password: name the variable, never echo it.
    problems.push("DATABASE_URL must be a postgres:// or postgresql:// URL");
  }
  return {
    enabled,
    dir: read.string("CATALOGUE_DIR"),
    databaseUrl,
    sweepMinutes: read.integer("CATALOGUE_SWEEP_MINUTES", 15, 1, 10_080),
    deltaSeconds: read.integer("CATALOGUE_DELTA_SECONDS", 60, 0, 86_400),
    sweepPageSize: read.integer("CATALOGUE_SWEEP_PAGE_SIZE", 10_000, 10, 10_000),
  };
}
