/**
 * Step 4: image facts in the catalogue's store (DESIGN §11), one row per image of a tenant.
 *
 * `record` is the whole record as JSON; the columns beside it repeat what filters, orders and
 * `duplicateImages` read (READY records only). A row with no record is a claim: one process is
 * computing the image until `claimed_until` (ms since the epoch), so replicas sharing the store
 * compute it once. The columns are named apart from `images`' own (`facts_tenant`, `image_id`), so
 * a query joining both reads `images`' columns unqualified.
 */
export const FACTS_MIGRATION = {
  version: 4,
  sqlite: [
    `CREATE TABLE image_facts (
      facts_tenant TEXT NOT NULL,
      image_id TEXT NOT NULL,
      record TEXT,
      claimed_until INTEGER,
      width INTEGER,
      height INTEGER,
      byte_size INTEGER,
      source_format TEXT,
      content_hash TEXT,
      PRIMARY KEY (facts_tenant, image_id)
    )`,
    "CREATE INDEX image_facts_by_hash ON image_facts (facts_tenant, content_hash) WHERE content_hash IS NOT NULL",
    // A range filter on one fact reads its index and joins the few images it selects.
    "CREATE INDEX image_facts_by_width ON image_facts (facts_tenant, width) WHERE width IS NOT NULL",
    "CREATE INDEX image_facts_by_height ON image_facts (facts_tenant, height) WHERE height IS NOT NULL",
    "CREATE INDEX image_facts_by_bytes ON image_facts (facts_tenant, byte_size) WHERE byte_size IS NOT NULL",
  ],
  postgres: [
    `CREATE TABLE image_facts (
      facts_tenant TEXT NOT NULL,
      image_id TEXT NOT NULL,
      record TEXT,
      claimed_until BIGINT,
      width INTEGER,
      height INTEGER,
      byte_size BIGINT,
      source_format TEXT,
      content_hash TEXT,
      PRIMARY KEY (facts_tenant, image_id)
    )`,
    "CREATE INDEX image_facts_by_hash ON image_facts (facts_tenant, content_hash) WHERE content_hash IS NOT NULL",
    // A range filter on one fact reads its index and joins the few images it selects.
    "CREATE INDEX image_facts_by_width ON image_facts (facts_tenant, width) WHERE width IS NOT NULL",
    "CREATE INDEX image_facts_by_height ON image_facts (facts_tenant, height) WHERE height IS NOT NULL",
    "CREATE INDEX image_facts_by_bytes ON image_facts (facts_tenant, byte_size) WHERE byte_size IS NOT NULL",
  ],
};
