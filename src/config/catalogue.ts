import { declareVariables, type EnvReader } from "./env-reader.ts";

/** The catalogue: the account's index for search, sort and counts (docs/catalogue.md). */
export interface CatalogueConfig {
  /** `CATALOGUE=off`: every query is served by the upstream, and catalogue-only arguments are refused. */
  readonly enabled: boolean;
  /** The embedded store's file lives here (kept across restarts); absent: in memory. */
  readonly dir: string | undefined;
  /** A PostgreSQL server shared by replicas instead of the embedded store. */
  readonly databaseUrl: string | undefined;
  readonly sweepMinutes: number;
  /** 0: no deltas. */
  readonly deltaSeconds: number;
  readonly sweepPageSize: number;
}

export const CATALOGUE_VARIABLES = declareVariables({
  CATALOGUE: {
    type: "choice",
    values: ["on", "off"],
    default: "on",
    description:
      "The catalogue: search, sort and counts over an index of the account; `off`: those arguments are refused, the rest is served by the upstream.",
  },
  CATALOGUE_DIR: {
    type: "text",
    format: "a folder",
    description:
      "Keep the embedded index in `<dir>/catalogue.sqlite`, so a restart starts from it. One process's: a second one on the same folder refuses to start. Unset: in memory.",
  },
  DATABASE_URL: {
    type: "text",
    format: "postgres:// or postgresql:// URL",
    secret: true,
    description: "A PostgreSQL server for the catalogue, shared by every replica (pg_trgm). Unset: the embedded store.",
  },
  CATALOGUE_SWEEP_MINUTES: {
    type: "integer",
    default: 15,
    min: 1,
    max: 10_080,
    description:
      "Minutes between full sweeps of the upstream list (edits and deletes made elsewhere arrive within this).",
  },
  CATALOGUE_DELTA_SECONDS: {
    type: "integer",
    default: 60,
    min: 0,
    max: 86_400,
    description: "Seconds between newest-first deltas (uploads made elsewhere arrive within this); 0: none.",
  },
  CATALOGUE_SWEEP_PAGE_SIZE: {
    type: "integer",
    default: 10_000,
    min: 10,
    max: 10_000,
    description: "`per_page` of a sweep's list calls (the v2 list's maximum by default).",
  },
});

/** Reads the `CATALOGUE*` settings and `DATABASE_URL`; each bad value is reported under its own name. */
export function readCatalogueConfig(read: EnvReader): CatalogueConfig {
  const v = CATALOGUE_VARIABLES;
  const databaseUrl = read.text(v.DATABASE_URL);
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/\S+$/.test(databaseUrl)) {
    // The URL may hold a password: name the variable, never echo it.
    read.problem("DATABASE_URL must be a postgres:// or postgresql:// URL");
  }
  return {
    enabled: (read.choice(v.CATALOGUE) ?? "on") === "on",
    dir: read.text(v.CATALOGUE_DIR),
    databaseUrl,
    sweepMinutes: read.integer(v.CATALOGUE_SWEEP_MINUTES),
    deltaSeconds: read.integer(v.CATALOGUE_DELTA_SECONDS),
    sweepPageSize: read.integer(v.CATALOGUE_SWEEP_PAGE_SIZE),
  };
}
