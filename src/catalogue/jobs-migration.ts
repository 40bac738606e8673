/**
 * Step 3: bulk jobs (src/jobs/, DESIGN §12) in the catalogue's database, as durable as its store.
 *
 * `bulk_jobs` holds a job, its operation and its counts; the counts move in the same transaction as
 * the item they count, so they are right whatever moment a process dies. `bulk_job_items` holds the
 * selection fixed at creation, one row per image (or URL), with its outcome and its lease: a pending
 * item whose `lease_until` has passed is free to take (a runner killed, or a back-off ended).
 */
export const JOBS_MIGRATION = {
  version: 3,
  sqlite: [
    `CREATE TABLE bulk_jobs (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      kind TEXT NOT NULL,
      state TEXT NOT NULL,
      operation TEXT NOT NULL,
      total INTEGER NOT NULL,
      done INTEGER NOT NULL DEFAULT 0,
      failed INTEGER NOT NULL DEFAULT 0,
      skipped INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      started_at INTEGER,
      finished_at INTEGER
    )`,
    "CREATE INDEX bulk_jobs_by_tenant ON bulk_jobs (tenant, created_at DESC, id DESC)",
    "CREATE INDEX bulk_jobs_by_state ON bulk_jobs (state, created_at)",
    `CREATE TABLE bulk_job_items (
      job_id TEXT NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      image_id TEXT,
      import_item TEXT,
      known INTEGER NOT NULL,
      state TEXT NOT NULL DEFAULT 'PENDING',
      attempts INTEGER NOT NULL DEFAULT 0,
      lease_owner TEXT,
      lease_until INTEGER NOT NULL DEFAULT 0,
      code TEXT,
      message TEXT,
      finished_at INTEGER,
      PRIMARY KEY (job_id, position)
    )`,
    "CREATE INDEX bulk_job_items_pending ON bulk_job_items (job_id, state, position)",
    "CREATE INDEX bulk_job_items_leased ON bulk_job_items (lease_owner) WHERE lease_owner IS NOT NULL",
  ],
  postgres: [
    `CREATE TABLE bulk_jobs (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      kind TEXT NOT NULL,
      state TEXT NOT NULL,
      operation JSONB NOT NULL,
      total INTEGER NOT NULL,
      done INTEGER NOT NULL DEFAULT 0,
      failed INTEGER NOT NULL DEFAULT 0,
      skipped INTEGER NOT NULL DEFAULT 0,
      created_at BIGINT NOT NULL,
      started_at BIGINT,
      finished_at BIGINT
    )`,
    'CREATE INDEX bulk_jobs_by_tenant ON bulk_jobs (tenant, created_at DESC, id COLLATE "C" DESC)',
    "CREATE INDEX bulk_jobs_by_state ON bulk_jobs (state, created_at)",
    `CREATE TABLE bulk_job_items (
      job_id TEXT NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      image_id TEXT,
      import_item JSONB,
      known BOOLEAN NOT NULL,
      state TEXT NOT NULL DEFAULT 'PENDING',
      attempts INTEGER NOT NULL DEFAULT 0,
      lease_owner TEXT,
      lease_until BIGINT NOT NULL DEFAULT 0,
      code TEXT,
      message TEXT,
      finished_at BIGINT,
      PRIMARY KEY (job_id, position)
    )`,
    "CREATE INDEX bulk_job_items_pending ON bulk_job_items (job_id, state, position)",
    "CREATE INDEX bulk_job_items_leased ON bulk_job_items (lease_owner) WHERE lease_owner IS NOT NULL",
  ],
};
