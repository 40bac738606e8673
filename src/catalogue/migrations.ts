import { FACTS_MIGRATION } from "./facts-migration.ts";
import { JOBS_MIGRATION } from "./jobs-migration.ts";

/**
 * The catalogue's schema, one numbered step at a time, for both stores; run in order at start, each
 * once (recorded in `catalogue_migrations`). Facts, jobs and the like arrive as further steps.
 *
 * `images` keeps one row per image of a tenant. `version` orders our own writes and the deltas
 * against sweeps: a sweep overwrites or removes only rows whose version is not above its mark, so
 * it never reverts what was written after it began. A deleted image stays as a tombstone
 * (`deleted`) until the next sweep, so a sweep page read before the delete cannot bring it back.
 */
export interface Migration {
  readonly version: number;
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sqlite: [
      `CREATE TABLE images (
        row INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        filename TEXT,
        sort_filename TEXT NOT NULL,
        creator TEXT,
        meta TEXT NOT NULL,
        require_signed INTEGER NOT NULL,
        uploaded INTEGER NOT NULL,
        variants TEXT NOT NULL,
        search_text TEXT NOT NULL,
        version INTEGER NOT NULL,
        swept INTEGER NOT NULL DEFAULT 0,
        deleted INTEGER NOT NULL DEFAULT 0,
        UNIQUE (tenant, id)
      )`,
      // `deleted` leads each index after the tenant: pages and counts read live rows from the index alone
      // (the order by id reads the UNIQUE index).
      "CREATE INDEX images_by_uploaded ON images (tenant, deleted, uploaded, id)",
      "CREATE INDEX images_by_filename ON images (tenant, deleted, sort_filename, id)",
      "CREATE INDEX images_by_creator ON images (tenant, deleted, creator, uploaded, id)",
      // Trigrams of the filename and of the rest, over the rows' own text (external content: no second copy).
      `CREATE VIRTUAL TABLE image_search USING fts5(sort_filename, search_text, content = 'images',
        content_rowid = 'row', tokenize = 'trigram')`,
      `CREATE TRIGGER images_search_insert AFTER INSERT ON images BEGIN
        INSERT INTO image_search (rowid, sort_filename, search_text) VALUES (new.row, new.sort_filename, new.search_text);
      END`,
      `CREATE TRIGGER images_search_update AFTER UPDATE OF search_text, sort_filename ON images BEGIN
        INSERT INTO image_search (image_search, rowid, sort_filename, search_text)
          VALUES ('delete', old.row, old.sort_filename, old.search_text);
        INSERT INTO image_search (rowid, sort_filename, search_text) VALUES (new.row, new.sort_filename, new.search_text);
      END`,
      `CREATE TRIGGER images_search_delete AFTER DELETE ON images BEGIN
        INSERT INTO image_search (image_search, rowid, sort_filename, search_text)
          VALUES ('delete', old.row, old.sort_filename, old.search_text);
      END`,
      `CREATE TABLE catalogue_sync (
        tenant TEXT PRIMARY KEY,
        complete INTEGER NOT NULL DEFAULT 0,
        synced_at INTEGER,
        sweep_started_at INTEGER,
        sweep_duration_ms INTEGER,
        sweep_images INTEGER
      )`,
    ],
    postgres: [
      "CREATE EXTENSION IF NOT EXISTS pg_trgm",
      "CREATE SEQUENCE catalogue_versions",
      `CREATE TABLE images (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        filename TEXT,
        sort_filename TEXT NOT NULL,
        creator TEXT,
        meta JSONB NOT NULL,
        require_signed BOOLEAN NOT NULL,
        uploaded BIGINT NOT NULL,
        variants JSONB NOT NULL,
        search_text TEXT NOT NULL,
        version BIGINT NOT NULL,
        swept BIGINT NOT NULL DEFAULT 0,
        deleted BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (tenant, id)
      )`,
      'CREATE INDEX images_by_uploaded ON images (tenant, deleted, uploaded, id COLLATE "C")',
      'CREATE INDEX images_by_filename ON images (tenant, deleted, sort_filename COLLATE "C", id COLLATE "C")',
      'CREATE INDEX images_by_id ON images (tenant, deleted, id COLLATE "C")',
      'CREATE INDEX images_by_creator ON images (tenant, deleted, creator, uploaded, id COLLATE "C")',
      "CREATE INDEX images_search ON images USING gin (search_text gin_trgm_ops)",
      "CREATE INDEX images_filename_search ON images USING gin (sort_filename gin_trgm_ops)",
      `CREATE TABLE catalogue_sync (
        tenant TEXT PRIMARY KEY,
        complete BOOLEAN NOT NULL DEFAULT FALSE,
        synced_at BIGINT,
        sweep_started_at BIGINT,
        sweep_duration_ms BIGINT,
        sweep_images BIGINT
      )`,
    ],
  },
  JOBS_MIGRATION,
  FACTS_MIGRATION,
  {
    // Migration 3 is the bulk jobs' tables.
    version: 5,
    // The embedded store counts from its index and keeps counts until the index changes (sqlite-store.ts).
    sqlite: [],
    // The number of live images per tenant, kept by statement triggers in the transaction of each write,
    // delta and sweep, so an unfiltered count is one row read, exact as of the reader's snapshot.
    postgres: [
      "CREATE TABLE catalogue_counts (tenant TEXT PRIMARY KEY, live BIGINT NOT NULL)",
      `CREATE FUNCTION catalogue_count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO catalogue_counts (tenant, live)
            SELECT tenant, COUNT(*) FROM new_rows WHERE NOT deleted GROUP BY tenant
            ON CONFLICT (tenant) DO UPDATE SET live = catalogue_counts.live + excluded.live;
        ELSIF TG_OP = 'UPDATE' THEN
          INSERT INTO catalogue_counts (tenant, live)
            SELECT tenant, SUM(change) FROM (
              SELECT tenant, CASE WHEN deleted THEN 0 ELSE 1 END AS change FROM new_rows
              UNION ALL SELECT tenant, CASE WHEN deleted THEN 0 ELSE -1 END FROM old_rows
            ) AS changes GROUP BY tenant HAVING SUM(change) <> 0
            ON CONFLICT (tenant) DO UPDATE SET live = catalogue_counts.live + excluded.live;
        ELSE
          INSERT INTO catalogue_counts (tenant, live)
            SELECT tenant, -COUNT(*) FROM old_rows WHERE NOT deleted GROUP BY tenant
            ON CONFLICT (tenant) DO UPDATE SET live = catalogue_counts.live + excluded.live;
        END IF;
        RETURN NULL;
      END $$`,
      `CREATE TRIGGER images_count_insert AFTER INSERT ON images REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION catalogue_count_changes()`,
      `CREATE TRIGGER images_count_update AFTER UPDATE ON images REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION catalogue_count_changes()`,
      `CREATE TRIGGER images_count_delete AFTER DELETE ON images REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION catalogue_count_changes()`,
      // Rows from before the triggers (the migration runs under the migrations' lock, in one transaction).
      `INSERT INTO catalogue_counts (tenant, live)
        SELECT tenant, COUNT(*) FILTER (WHERE NOT deleted) FROM images GROUP BY tenant`,
    ],
  },
];

/**
 * The steps not yet recorded, lowest version first. Steps land from several branches, so a database
 * may hold 4 and not 3: each missing step runs, whatever the gaps (steps never depend on one another
 * beyond the first).
 */
export function pendingMigrations(applied: ReadonlySet<number>, all: readonly Migration[] = MIGRATIONS): Migration[] {
  return all.filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version);
}
