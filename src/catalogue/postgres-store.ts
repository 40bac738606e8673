import pg from "pg";
import type { Image } from "../upstream/index.ts";
import type { CatalogueFactsTable } from "./facts-model.ts";
import { SqlFactsTable } from "./facts-table.ts";
import { pendingMigrations } from "./migrations.ts";
import {
  type CatalogueFilter,
  type PageRequest,
  type SweepMark,
  type SyncState,
  searchTextOf,
  sortableFilename,
  type Tenant,
} from "./model.ts";
import { type CatalogueStore, imagesOfPage, rowOf, type StoredImage } from "./store.ts";
import { inPostgresTransaction } from "./transactions.ts";
import { countQuery, type Dialect, type Fragment, likeContaining, pageQuery } from "./where.ts";

const dialect: Dialect = {
  metaString: (path) =>
    jsonAt(path, "CASE WHEN jsonb_typeof(meta #> ?::text[]) = 'string' THEN meta #>> ?::text[] END"),
  metaNumber: (path) =>
    jsonAt(path, "CASE WHEN jsonb_typeof(meta #> ?::text[]) = 'number' THEN (meta #>> ?::text[])::numeric END"),
  metaBoolean: (path) =>
    jsonAt(path, "CASE WHEN jsonb_typeof(meta #> ?::text[]) = 'boolean' THEN meta #>> ?::text[] END"),
  // pg_trgm's GIN index serves LIKE '%term%' for terms of three characters and more.
  search: (term) => ({
    sql: "(sort_filename LIKE ? ESCAPE '\\' OR search_text LIKE ? ESCAPE '\\')",
    params: [likeContaining(term), likeContaining(term)],
  }),
  filename: (term) => ({ sql: "sort_filename LIKE ? ESCAPE '\\'", params: [likeContaining(term)] }),
  collate: ' COLLATE "C"',
};

function jsonAt(path: readonly string[], expression: string): Fragment {
  return { sql: `(${expression})`, params: [path, path] };
}

const COLUMNS =
  "tenant, id, filename, sort_filename, creator, meta, require_signed, uploaded, variants, search_text, version, swept, deleted";
const UPDATE = `filename = excluded.filename, sort_filename = excluded.sort_filename, creator = excluded.creator,
  meta = excluded.meta, require_signed = excluded.require_signed, uploaded = excluded.uploaded,
  variants = excluded.variants, search_text = excluded.search_text, deleted = FALSE`;
/** Rows per INSERT of a sweep page: well under PostgreSQL's 65,535 parameters. */
const ROWS_PER_INSERT = 1000;

/** The shared store: one PostgreSQL server for every replica (`DATABASE_URL`), searched through pg_trgm. */
export class PostgresCatalogueStore implements CatalogueStore {
  readonly kind = "postgres";
  readonly #pool: pg.Pool;
  readonly facts: CatalogueFactsTable;

  constructor(url: string, options: { onError?: (error: Error) => void } = {}) {
    this.#pool = new pg.Pool({
      connectionString: url,
      max: 10,
      // A server gone away fails queries fast (a typed error), instead of queueing them.
      connectionTimeoutMillis: 3000,
      query_timeout: 15_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection cut by the server must not end the process; the next query reconnects.
    this.#pool.on("error", (error) => options.onError?.(error));
    this.facts = new SqlFactsTable(
      async (sql, params) => (await this.#pool.query(...numbered({ sql, params }))).rows as Record<string, unknown>[],
    );
  }

  async migrate(): Promise<void> {
    await inPostgresTransaction(this.#pool, async (client) => {
      // Replicas starting at once: one migrates, the others wait and find nothing left to do.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('catalogue migrations'))");
      await client.query(
        "CREATE TABLE IF NOT EXISTS catalogue_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT)",
      );
      const applied = new Set(
        (await client.query<{ version: number }>("SELECT version FROM catalogue_migrations")).rows.map(
          (r) => r.version,
        ),
      );
      for (const migration of pendingMigrations(applied)) {
        for (const statement of migration.postgres) await client.query(statement);
        await client.query("INSERT INTO catalogue_migrations (version, applied_at) VALUES ($1, $2)", [
          migration.version,
          Date.now(),
        ]);
      }
    });
  }

  async write(tenant: Tenant, image: Image, replaces?: string): Promise<void> {
    await inPostgresTransaction(this.#pool, async (client) => {
      if (replaces !== undefined && replaces !== image.id) await this.#tombstone(client, tenant, replaces);
      await client.query(
        ...insert(
          tenant,
          [image],
          "nextval('catalogue_versions')",
          "0",
          `DO UPDATE SET ${UPDATE}, version = excluded.version`,
        ),
      );
    });
  }

  async remove(tenant: Tenant, imageId: string): Promise<void> {
    await this.#tombstone(this.#pool, tenant, imageId);
  }

  async addUnknown(tenant: Tenant, images: readonly Image[]): Promise<void> {
    if (images.length === 0) return;
    await this.#pool.query(...insert(tenant, images, "nextval('catalogue_versions')", "0", "DO NOTHING"));
  }

  async known(tenant: Tenant, ids: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.#pool.query<{ id: string }>(
      "SELECT id FROM images WHERE tenant = $1 AND id = ANY($2::text[])",
      [tenant, ids],
    );
    return new Set(rows.map((r) => r.id));
  }

  async beginSweep(_tenant: Tenant): Promise<SweepMark> {
    const { rows } = await this.#pool.query<{ v: string }>("SELECT nextval('catalogue_versions') AS v");
    return { version: Number(rows[0]?.v), startedAt: new Date() };
  }

  async sweepPage(tenant: Tenant, mark: SweepMark, images: readonly Image[]): Promise<void> {
    // One statement cannot update a row twice: an id the list repeated is kept once.
    const unique = [...new Map(images.map((image) => [image.id, image])).values()];
    for (let i = 0; i < unique.length; i += ROWS_PER_INSERT) {
      const chunk = unique.slice(i, i + ROWS_PER_INSERT);
      const version = String(mark.version);
      await this.#pool.query(
        ...insert(
          tenant,
          chunk,
          version,
          version,
          `DO UPDATE SET ${UPDATE}, swept = excluded.swept WHERE images.version <= excluded.version`,
        ),
      );
    }
  }

  async finishSweep(tenant: Tenant, mark: SweepMark, images: number): Promise<void> {
    const now = Date.now();
    await inPostgresTransaction(this.#pool, async (client) => {
      await client.query("DELETE FROM images WHERE tenant = $1 AND version <= $2 AND swept < $2", [
        tenant,
        mark.version,
      ]);
      await client.query(
        `INSERT INTO catalogue_sync (tenant, complete, synced_at, sweep_started_at, sweep_duration_ms, sweep_images)
         VALUES ($1, TRUE, $2, $3, $4, $5)
         ON CONFLICT (tenant) DO UPDATE SET complete = TRUE, synced_at = excluded.synced_at,
           sweep_started_at = excluded.sweep_started_at, sweep_duration_ms = excluded.sweep_duration_ms,
           sweep_images = excluded.sweep_images`,
        [tenant, now, mark.startedAt.getTime(), now - mark.startedAt.getTime(), images],
      );
    });
    // A sweep rewrote much of the table: fresh statistics for the planner, and a visibility map that lets
    // counts read the index alone. Autovacuum would come to it later; a failure here changes no answer.
    await this.#pool.query("VACUUM (ANALYZE) images").catch(() => undefined);
  }

  async touch(tenant: Tenant, at: Date): Promise<void> {
    await this.#pool.query(
      `INSERT INTO catalogue_sync (tenant, synced_at) VALUES ($1, $2)
       ON CONFLICT (tenant) DO UPDATE SET synced_at = GREATEST(catalogue_sync.synced_at, excluded.synced_at)`,
      [tenant, at.getTime()],
    );
  }

  async page(tenant: Tenant, request: PageRequest): Promise<Image[]> {
    const { rows } = await this.#pool.query<StoredImage>(...numbered(pageQuery(tenant, request, dialect)));
    return imagesOfPage(rows, request.order.field);
  }

  async count(tenant: Tenant, filter: CatalogueFilter): Promise<number> {
    if (Object.values(filter).every((value) => value === undefined || (Array.isArray(value) && value.length === 0))) {
      // Every live image of the tenant: the count the triggers keep (migration 5), not a walk of 100,000 rows.
      const kept = await this.#pool.query<{ live: string }>("SELECT live FROM catalogue_counts WHERE tenant = $1", [
        tenant,
      ]);
      return Number(kept.rows[0]?.live ?? 0);
    }
    const { rows } = await this.#pool.query<{ n: string }>(...numbered(countQuery(tenant, filter, dialect)));
    return Number(rows[0]?.n ?? 0);
  }

  async syncState(tenant: Tenant): Promise<SyncState> {
    const { rows } = await this.#pool.query<{
      complete: boolean;
      synced_at: string | null;
      sweep_started_at: string | null;
      sweep_duration_ms: string;
      sweep_images: string;
    }>("SELECT * FROM catalogue_sync WHERE tenant = $1", [tenant]);
    const row = rows[0];
    return {
      complete: row?.complete === true,
      syncedAt: row?.synced_at ? new Date(Number(row.synced_at)) : null,
      lastSweep:
        row?.sweep_started_at != null
          ? {
              startedAt: new Date(Number(row.sweep_started_at)),
              durationMs: Number(row.sweep_duration_ms),
              images: Number(row.sweep_images),
            }
          : null,
    };
  }

  /** A session advisory lock: a replica killed mid-sweep loses its connection, and the lock with it. */
  async exclusively<T>(tenant: Tenant, work: () => Promise<T>): Promise<T | undefined> {
    const client = await this.#pool.connect();
    const key = `catalogue sweep ${tenant}`;
    let locked = false;
    try {
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [
        key,
      ]);
      locked = rows[0]?.locked === true;
      if (!locked) return undefined;
      return await work();
    } finally {
      if (locked) await client.query("SELECT pg_advisory_unlock(hashtext($1))", [key]).catch(() => undefined);
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #tombstone(on: pg.Pool | pg.PoolClient, tenant: Tenant, imageId: string): Promise<void> {
    await on.query(
      `INSERT INTO images (${COLUMNS})
       VALUES ($1, $2, NULL, '', NULL, '{}', FALSE, 0, '[]', '', nextval('catalogue_versions'), 0, TRUE)
       ON CONFLICT (tenant, id) DO UPDATE SET deleted = TRUE, search_text = '', version = excluded.version`,
      [tenant, imageId],
    );
  }
}

/** One INSERT of many rows; `version` and `swept` are SQL (a sequence call or a number). */
function insert(
  tenant: Tenant,
  images: readonly Image[],
  version: string,
  swept: string,
  onConflict: string,
): [string, unknown[]] {
  const params: unknown[] = [tenant];
  const tuples = images.map((image) => {
    const row = rowOf(image, sortableFilename(image.filename), searchTextOf(image));
    const at = params.length;
    params.push(
      row.id,
      row.filename,
      row.sort_filename,
      row.creator,
      row.meta,
      row.require_signed,
      row.uploaded,
      row.variants,
      row.search_text,
    );
    const p = (i: number) => `$${at + i}`;
    return `($1, ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}::jsonb, ${p(6)}, ${p(7)}, ${p(8)}::jsonb, ${p(9)}, ${version}, ${swept}, FALSE)`;
  });
  return [`INSERT INTO images (${COLUMNS}) VALUES ${tuples.join(", ")} ON CONFLICT (tenant, id) ${onConflict}`, params];
}

/** `?` placeholders to PostgreSQL's `$1`, `$2`, …: the shared query text never holds a literal `?`. */
function numbered(fragment: Fragment): [string, unknown[]] {
  let n = 0;
  return [fragment.sql.replace(/\?/g, () => `$${++n}`), [...fragment.params]];
}
