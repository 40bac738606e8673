import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
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
import { type CatalogueStore, type ImageRow, imagesOfPage, rowOf, type StoredImage } from "./store.ts";
import { inSqliteTransaction } from "./transactions.ts";
import { countQuery, type Dialect, type Fragment, likeContaining, pageQuery } from "./where.ts";

const MAX_COUNTS = 1000;
/** A search matching at least this many rows, and a tenth of them, is tested row by row (see #dense). */
const DENSE_MIN_ROWS = 2000;
const DENSE_SHARE = 10;
/** SQLite's result code for a database locked by another connection. */
const SQLITE_BUSY = 5;
/** Rows of a sweep page written per transaction (see sweepPage). */
const SWEEP_SLICE = 1000;
/** FTS5's trigram tokenizer indexes runs of three characters: shorter terms are looked up by LIKE. */
const TRIGRAM = 3;

const likeSearch = (term: string): Fragment => ({
  sql: "(sort_filename LIKE ? ESCAPE '\\' OR search_text LIKE ? ESCAPE '\\')",
  params: [likeContaining(term), likeContaining(term)],
});
const likeFilename = (term: string): Fragment => ({
  sql: "sort_filename LIKE ? ESCAPE '\\'",
  params: [likeContaining(term)],
});
const short = (term: string) => [...term].length < TRIGRAM;

const dialect: Dialect = {
  metaString: (path) =>
    jsonAt(path, (p) => `(CASE WHEN json_type(meta, ${p}) = 'text' THEN json_extract(meta, ${p}) END)`),
  metaNumber: (path) =>
    jsonAt(path, (p) => `(CASE WHEN json_type(meta, ${p}) IN ('integer', 'real') THEN json_extract(meta, ${p}) END)`),
  metaBoolean: (path) => jsonAt(path, (p) => `json_type(meta, ${p})`),
  search: (term) => (short(term) ? likeSearch(term) : trigramMatch(phrase(term))),
  filename: (term) => (short(term) ? likeFilename(term) : trigramMatch(`sort_filename : ${phrase(term)}`)),
  // One MATCH for every term the trigram index serves: FTS5 steps through the terms' lists together,
  // skipping ahead, where one `IN` list per term reads each list whole (a word in every filename: 100,000
  // rows read for each page).
  searchAll: (terms, filename) => {
    const match = trigramExpression(terms, filename);
    const parts = terms.filter(short).map(likeSearch);
    if (filename !== undefined && short(filename)) parts.push(likeFilename(filename));
    return match === undefined ? parts : [trigramMatch(match), ...parts];
  },
  collate: "",
};

/** The same conditions, each tested on the row: for searches most rows match (see #dense). */
const walkDialect: Dialect = {
  metaString: dialect.metaString,
  metaNumber: dialect.metaNumber,
  metaBoolean: dialect.metaBoolean,
  search: likeSearch,
  filename: likeFilename,
  collate: dialect.collate,
};

/** The FTS5 expression of every term the trigram index serves, all of which must hold; undefined if none. */
function trigramExpression(terms: readonly string[], filename: string | undefined): string | undefined {
  const phrases = terms.filter((term) => !short(term)).map(phrase);
  if (filename !== undefined && !short(filename)) phrases.push(`sort_filename : ${phrase(filename)}`);
  return phrases.length > 0 ? phrases.join(" AND ") : undefined;
}

/** Rows holding every phrase of `match`, through the trigram index. */
function trigramMatch(match: string): Fragment {
  return { sql: "row IN (SELECT rowid FROM image_search WHERE image_search MATCH ?)", params: [match] };
}

const LIVE_ROWS = "WHERE tenant = ? AND deleted = FALSE";
const LIVE_ROWS_UNINDEXED = "WHERE +tenant = ? AND +deleted = FALSE";

/**
 * A count with a trigram search and no creator reads the search's rows by rowid: without this, the
 * planner walks every live row of the tenant in an index and checks each against the search's list
 * (100,000 rows read to count 2,000). `+` keeps it from using the tenant's indexes. With a creator,
 * that index's range is the smaller walk and stays.
 */
function searchDriven(filter: CatalogueFilter, query: Fragment): Fragment {
  const trigram = (term: string) => [...term].length >= TRIGRAM;
  const searched = (filter.terms ?? []).some(trigram) || (filter.filename !== undefined && trigram(filter.filename));
  if (!searched || filter.creator !== undefined || !query.sql.includes(LIVE_ROWS)) return query;
  return { sql: query.sql.replace(LIVE_ROWS, LIVE_ROWS_UNINDEXED), params: query.params };
}

/** FTS5's trigram index finds a quoted phrase as a substring of a column; `"` is doubled inside it. */
function phrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/**
 * A JSON path of quoted keys (`$."album"."name"`), passed as a parameter. SQLite's paths cannot
 * quote a key holding `"`: such a path matches nothing.
 */
function jsonAt(path: readonly string[], expression: (placeholder: string) => string): Fragment {
  if (path.some((key) => key.includes('"'))) return { sql: "NULL", params: [] };
  const json = `$${path.map((key) => `."${key}"`).join("")}`;
  const sql = expression("?");
  return { sql, params: Array.from({ length: sql.split("?").length - 1 }, () => json) };
}

/** A second process asked for a `CATALOGUE_DIR` whose catalogue another process holds. */
export class CatalogueDirInUseError extends Error {
  constructor(dir: string) {
    super(
      `CATALOGUE_DIR=${dir}: its catalogue is held by another process. Each process needs a CATALOGUE_DIR of its own; replicas share one catalogue through DATABASE_URL (PostgreSQL).`,
    );
    this.name = "CatalogueDirInUseError";
  }
}

/**
 * The embedded store: node:sqlite in memory, or in `<dir>/catalogue.sqlite` to survive restarts.
 *
 * A directory's catalogue belongs to one process (counts kept until the index changes, and sweeps
 * one at a time, rely on every change going through it): see holdDir. Other parts of that process
 * (the bulk jobs' store) open `catalogue.sqlite` alongside.
 */
export class SqliteCatalogueStore implements CatalogueStore {
  readonly kind = "embedded";
  readonly #db: DatabaseSync;
  /** `<dir>/catalogue.lock`, held exclusively while this store is open (see holdDir). */
  readonly #lock: DatabaseSync | undefined;
  readonly #statements = new Map<string, StatementSync>();
  #version = 0;
  readonly #sweeping = new Set<Tenant>();
  /** Counts of recent queries (a search paged through asks the same one on each page), by index version. */
  readonly #counts = new Map<string, { version: number; n: number }>();
  /** Trigram searches found in a large share of the rows (see #dense), until the next sweep ends. */
  readonly #denseSearches = new Map<string, boolean>();

  readonly facts: CatalogueFactsTable;

  constructor(dir?: string) {
    if (dir !== undefined) mkdirSync(dir, { recursive: true });
    // Taken before the catalogue's file is opened: a second process stops here, having touched nothing.
    this.#lock = dir === undefined ? undefined : holdDir(dir);
    this.#db = new DatabaseSync(dir === undefined ? ":memory:" : join(dir, "catalogue.sqlite"));
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000");
    this.facts = new SqlFactsTable(async (sql, params) => {
      // Counts filtered by facts change with them.
      if (!sql.startsWith("SELECT")) this.#changed();
      return this.#statement(sql).all(...bind(params)) as Record<string, unknown>[];
    });
  }

  async migrate(): Promise<void> {
    this.#db.exec("CREATE TABLE IF NOT EXISTS catalogue_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER)");
    const applied = new Set(
      (this.#db.prepare("SELECT version FROM catalogue_migrations").all() as { version: number }[]).map(
        (r) => r.version,
      ),
    );
    for (const migration of pendingMigrations(applied)) {
      inSqliteTransaction(this.#db, () => {
        for (const statement of migration.sqlite) this.#db.exec(statement);
        this.#run("INSERT INTO catalogue_migrations (version, applied_at) VALUES (?, ?)", [
          migration.version,
          Date.now(),
        ]);
      });
    }
    const top = this.#get("SELECT MAX(MAX(version), MAX(swept)) AS v FROM images", []) as { v: number | null };
    this.#version = top.v ?? 0;
  }

  async write(tenant: Tenant, image: Image, replaces?: string): Promise<void> {
    inSqliteTransaction(this.#db, () => {
      if (replaces !== undefined && replaces !== image.id) this.#tombstone(tenant, replaces);
      this.#upsert(tenant, image, ++this.#version, 0, "always");
    });
  }

  async remove(tenant: Tenant, imageId: string): Promise<void> {
    inSqliteTransaction(this.#db, () => this.#tombstone(tenant, imageId));
  }

  async addUnknown(tenant: Tenant, images: readonly Image[]): Promise<void> {
    inSqliteTransaction(this.#db, () => {
      for (const image of images) this.#upsert(tenant, image, ++this.#version, 0, "never");
    });
  }

  async known(tenant: Tenant, ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const id of ids) {
      if (this.#get("SELECT 1 AS one FROM images WHERE tenant = ? AND id = ?", [tenant, id])) found.add(id);
    }
    return found;
  }

  async beginSweep(_tenant: Tenant): Promise<SweepMark> {
    return { version: ++this.#version, startedAt: new Date() };
  }

  /**
   * In transactions of SWEEP_SLICE rows, with a turn of the event loop between them: a page of 10,000
   * would hold the loop (every query waiting) for its whole write and grow SQLite's and FTS5's
   * transaction buffers, whose memory stays with the process. Rows are independent upserts: a sweep
   * cut between slices is one cut between pages (the next sweep completes it).
   */
  async sweepPage(tenant: Tenant, mark: SweepMark, images: readonly Image[]): Promise<void> {
    for (let start = 0; start < images.length; start += SWEEP_SLICE) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      this.#changed();
      inSqliteTransaction(this.#db, () => {
        const end = Math.min(images.length, start + SWEEP_SLICE);
        for (let i = start; i < end; i++) {
          this.#upsert(tenant, images[i] as Image, mark.version, mark.version, "unless-newer");
        }
      });
    }
  }

  async finishSweep(tenant: Tenant, mark: SweepMark, images: number): Promise<void> {
    this.#changed();
    this.#denseSearches.clear();
    const now = Date.now();
    inSqliteTransaction(this.#db, () => {
      this.#run("DELETE FROM images WHERE tenant = ? AND version <= ? AND swept < ?", [
        tenant,
        mark.version,
        mark.version,
      ]);
      this.#run(
        `INSERT INTO catalogue_sync (tenant, complete, synced_at, sweep_started_at, sweep_duration_ms, sweep_images)
         VALUES (?, 1, ?, ?, ?, ?)
         ON CONFLICT (tenant) DO UPDATE SET complete = 1, synced_at = excluded.synced_at,
           sweep_started_at = excluded.sweep_started_at, sweep_duration_ms = excluded.sweep_duration_ms,
           sweep_images = excluded.sweep_images`,
        [tenant, now, mark.startedAt.getTime(), now - mark.startedAt.getTime(), images],
      );
    });
  }

  async touch(tenant: Tenant, at: Date): Promise<void> {
    this.#run(
      `INSERT INTO catalogue_sync (tenant, synced_at) VALUES (?, ?)
       ON CONFLICT (tenant) DO UPDATE SET synced_at = MAX(COALESCE(synced_at, 0), excluded.synced_at)`,
      [tenant, at.getTime()],
    );
  }

  async page(tenant: Tenant, request: PageRequest): Promise<Image[]> {
    const query = pageQuery(tenant, request, this.#dense(request.filter) ? walkDialect : dialect);
    return imagesOfPage(
      this.#statement(query.sql).all(...bind(query.params)) as unknown as StoredImage[],
      request.order.field,
    );
  }

  async count(tenant: Tenant, filter: CatalogueFilter): Promise<number> {
    const query = searchDriven(filter, countQuery(tenant, filter, dialect));
    // Every change of the index goes through this process and bumps the version: a count is exact until then.
    const key = JSON.stringify([query.sql, query.params]);
    const known = this.#counts.get(key);
    if (known && known.version === this.#version) return known.n;
    const n = Number((this.#get(query.sql, query.params) as { n: number }).n);
    if (this.#counts.size >= MAX_COUNTS) this.#counts.delete(this.#counts.keys().next().value as string);
    this.#counts.set(key, { version: this.#version, n });
    return n;
  }

  async syncState(tenant: Tenant): Promise<SyncState> {
    const row = this.#get("SELECT * FROM catalogue_sync WHERE tenant = ?", [tenant]) as
      | {
          complete: number;
          synced_at: number | null;
          sweep_started_at: number | null;
          sweep_duration_ms: number;
          sweep_images: number;
        }
      | undefined;
    return {
      complete: row?.complete === 1,
      syncedAt: row?.synced_at ? new Date(row.synced_at) : null,
      lastSweep:
        row?.sweep_started_at != null
          ? { startedAt: new Date(row.sweep_started_at), durationMs: row.sweep_duration_ms, images: row.sweep_images }
          : null,
    };
  }

  async exclusively<T>(tenant: Tenant, work: () => Promise<T>): Promise<T | undefined> {
    if (this.#sweeping.has(tenant)) return undefined;
    this.#sweeping.add(tenant);
    try {
      return await work();
    } finally {
      this.#sweeping.delete(tenant);
    }
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
    if (this.#lock?.isOpen) this.#lock.close();
  }

  /**
   * Whether a page should walk the order's index and test each row's text (LIKE) rather than read the
   * trigram index's list of matching rows first: when the search matches a large share of the rows
   * (a word in most filenames), the list costs a microsecond a row (100,000 rows: 100 ms a page) while
   * the walk finds a page within a few hundred rows. Found by reading at most that share of the list
   * once, and kept: only the plan depends on it, never the answer. With a creator, its index is walked.
   */
  #dense(filter: CatalogueFilter): boolean {
    if (filter.creator !== undefined) return false;
    const match = trigramExpression(filter.terms ?? [], filter.filename?.toLowerCase());
    if (match === undefined) return false;
    let dense = this.#denseSearches.get(match);
    if (dense === undefined) {
      const rows = Number((this.#get("SELECT COALESCE(MAX(row), 0) AS n FROM images", []) as { n: number }).n);
      const share = Math.max(DENSE_MIN_ROWS, Math.ceil(rows / DENSE_SHARE));
      const probe = this.#get(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM image_search WHERE image_search MATCH ? LIMIT ?)",
        [match, share],
      ) as { n: number };
      dense = Number(probe.n) >= share;
      if (this.#denseSearches.size >= MAX_COUNTS) this.#denseSearches.clear();
      this.#denseSearches.set(match, dense);
    }
    return dense;
  }

  /** Rows written under an older version (a sweep's mark): cached counts must not outlive it. */
  #changed(): void {
    this.#counts.clear();
  }

  #tombstone(tenant: Tenant, imageId: string): void {
    this.#run(
      `INSERT INTO images (tenant, id, filename, sort_filename, creator, meta, require_signed, uploaded, variants,
         search_text, version, swept, deleted)
       VALUES (?, ?, NULL, '', NULL, '{}', 0, 0, '[]', '', ?, 0, 1)
       ON CONFLICT (tenant, id) DO UPDATE SET deleted = 1, search_text = '', version = excluded.version`,
      [tenant, imageId, ++this.#version],
    );
  }

  /** `when`: on an existing row, always (our writes), never (deltas), or unless written after the sweep began. */
  #upsert(tenant: Tenant, image: Image, version: number, swept: number, when: keyof typeof UPSERT) {
    const row: ImageRow = rowOf(image, sortableFilename(image.filename), searchTextOf(image));
    this.#statement(UPSERT[when]).run(
      tenant,
      row.id,
      row.filename,
      row.sort_filename,
      row.creator,
      row.meta,
      row.require_signed ? 1 : 0,
      row.uploaded,
      row.variants,
      row.search_text,
      version,
      swept,
    );
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      // Queries are few shapes with many values: keep the prepared shapes, up to a bound.
      if (this.#statements.size < 500) this.#statements.set(sql, statement);
    }
    return statement;
  }

  #run(sql: string, params: readonly unknown[]): void {
    this.#statement(sql).run(...bind(params));
  }

  #get(sql: string, params: readonly unknown[]): unknown {
    return this.#statement(sql).get(...bind(params));
  }
}

const INSERT = `INSERT INTO images (tenant, id, filename, sort_filename, creator, meta, require_signed, uploaded,
    variants, search_text, version, swept, deleted)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (tenant, id)`;
const UPDATE = `DO UPDATE SET filename = excluded.filename, sort_filename = excluded.sort_filename,
    creator = excluded.creator, meta = excluded.meta, require_signed = excluded.require_signed,
    uploaded = excluded.uploaded, variants = excluded.variants, search_text = excluded.search_text, deleted = 0`;
/** The three upserts, as constant texts: prepared once, looked up without building a string per row. */
const UPSERT = {
  always: `${INSERT} ${UPDATE}, version = excluded.version`,
  never: `${INSERT} DO NOTHING`,
  "unless-newer": `${INSERT} ${UPDATE}, swept = excluded.swept WHERE images.version <= excluded.version`,
} as const;

/**
 * Takes `<dir>/catalogue.lock`, a small SQLite file, in SQLite's exclusive locking mode: the lock,
 * taken by a first write, stays until the connection closes or the process ends, however it ends
 * (the system drops it). Another process, or another store in this one, is refused at once.
 */
function holdDir(dir: string): DatabaseSync {
  const lock = new DatabaseSync(join(dir, "catalogue.lock"));
  try {
    lock.exec("PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE");
    lock.exec("BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS held (at INTEGER); DELETE FROM held; COMMIT");
    lock.prepare("INSERT INTO held (at) VALUES (?)").run(Date.now());
    return lock;
  } catch (error) {
    lock.close();
    if ((error as { errcode?: number }).errcode === SQLITE_BUSY) throw new CatalogueDirInUseError(dir);
    throw error;
  }
}

/** node:sqlite takes no booleans: 1 and 0, as SQLite stores them. */
function bind(params: readonly unknown[]): SQLInputValue[] {
  return params.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : (p as SQLInputValue)));
}
