import type { FactsRecord } from "../facts/facts.ts";
import type { Image } from "../upstream/index.ts";
import type { CatalogueFactsTable, DuplicateGroup, DuplicateKeyset } from "./facts-model.ts";
import type { Tenant } from "./model.ts";
import { imageOf, type StoredImage } from "./store.ts";
import { IMAGE_COLUMNS } from "./where.ts";

/** Runs one statement with `?` placeholders; each store binds and numbers them its own way. */
export type RunQuery = (sql: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** Ids asked for in one statement at most. */
const IDS_PER_QUERY = 500;
const JOINED = "images JOIN image_facts ON facts_tenant = images.tenant AND image_id = images.id";
const LIVE = "images.tenant = ? AND deleted = FALSE AND content_hash IS NOT NULL";

export class SqlFactsTable implements CatalogueFactsTable {
  readonly #run: RunQuery;

  constructor(run: RunQuery) {
    this.#run = run;
  }

  async getMany(tenant: Tenant, imageIds: readonly string[]): Promise<Map<string, FactsRecord>> {
    const found = new Map<string, FactsRecord>();
    for (let i = 0; i < imageIds.length; i += IDS_PER_QUERY) {
      const ids = imageIds.slice(i, i + IDS_PER_QUERY);
      const rows = await this.#run(
        `SELECT image_id, record FROM image_facts
         WHERE facts_tenant = ? AND image_id IN (${ids.map(() => "?").join(", ")}) AND record IS NOT NULL`,
        [tenant, ...ids],
      );
      for (const row of rows) {
        const record = parseRecord(String(row.record));
        if (record) found.set(String(row.image_id), record);
      }
    }
    return found;
  }

  async claim(tenant: Tenant, imageId: string, now: number, until: number): Promise<boolean> {
    // One statement: of replicas racing for a row, the first inserts it and the others find its claim
    // live (or its record there), so their update's condition fails and they get no row back.
    const rows = await this.#run(
      `INSERT INTO image_facts (facts_tenant, image_id, claimed_until) VALUES (?, ?, ?)
       ON CONFLICT (facts_tenant, image_id) DO UPDATE SET claimed_until = excluded.claimed_until
       WHERE image_facts.record IS NULL AND COALESCE(image_facts.claimed_until, 0) < ?
       RETURNING image_id`,
      [tenant, imageId, until, now],
    );
    return rows.length === 1;
  }

  async put(tenant: Tenant, imageId: string, record: FactsRecord): Promise<void> {
    const facts = record.status === "READY" ? record.facts : undefined;
    await this.#run(
      `INSERT INTO image_facts (facts_tenant, image_id, record, claimed_until, width, height, byte_size,
         source_format, content_hash)
       VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?)
       ON CONFLICT (facts_tenant, image_id) DO UPDATE SET record = excluded.record, claimed_until = NULL,
         width = excluded.width, height = excluded.height, byte_size = excluded.byte_size,
         source_format = excluded.source_format, content_hash = excluded.content_hash`,
      [
        tenant,
        imageId,
        JSON.stringify(record),
        facts?.width ?? null,
        facts?.height ?? null,
        facts?.byteSize ?? null,
        facts?.sourceFormat ?? null,
        facts?.contentHash ?? null,
      ],
    );
  }

  async release(tenant: Tenant, imageId: string): Promise<void> {
    await this.#run("DELETE FROM image_facts WHERE facts_tenant = ? AND image_id = ? AND record IS NULL", [
      tenant,
      imageId,
    ]);
  }

  async forget(tenant: Tenant, imageId: string): Promise<void> {
    await this.#run("DELETE FROM image_facts WHERE facts_tenant = ? AND image_id = ?", [tenant, imageId]);
  }

  async imageWithHash(tenant: Tenant, contentHash: string): Promise<Image | undefined> {
    const rows = await this.#run(
      `SELECT ${IMAGE_COLUMNS} FROM ${JOINED} WHERE ${LIVE} AND content_hash = ? ORDER BY uploaded, id LIMIT 1`,
      [tenant, contentHash],
    );
    const row = rows[0];
    return row ? imageOf(row as unknown as StoredImage) : undefined;
  }

  async duplicates(
    tenant: Tenant,
    request: { after?: DuplicateKeyset; limit: number; imagesPerGroup: number },
  ): Promise<DuplicateGroup[]> {
    const { after } = request;
    const groups = await this.#run(
      `SELECT content_hash, n, byte_size, wasted FROM (
         SELECT content_hash, COUNT(*) AS n, MAX(byte_size) AS byte_size, MAX(byte_size) * (COUNT(*) - 1) AS wasted
         FROM ${JOINED} WHERE ${LIVE} GROUP BY content_hash HAVING COUNT(*) > 1
       ) g
       ${after ? "WHERE (wasted < ? OR (wasted = ? AND content_hash > ?))" : ""}
       ORDER BY wasted DESC, content_hash ASC LIMIT ?`,
      [tenant, ...(after ? [after.wastedBytes, after.wastedBytes, after.contentHash] : []), request.limit + 1],
    );
    if (groups.length === 0) return [];
    const hashes = groups.map((g) => String(g.content_hash));
    const members = await this.#run(
      `SELECT * FROM (
         SELECT ${IMAGE_COLUMNS}, content_hash,
           ROW_NUMBER() OVER (PARTITION BY content_hash ORDER BY uploaded, id) AS place
         FROM ${JOINED} WHERE ${LIVE} AND content_hash IN (${hashes.map(() => "?").join(", ")})
       ) m WHERE place <= ? ORDER BY content_hash, place`,
      [tenant, ...hashes, request.imagesPerGroup],
    );
    const byHash = new Map<string, Image[]>(hashes.map((hash) => [hash, []]));
    for (const row of members) byHash.get(String(row.content_hash))?.push(imageOf(row as unknown as StoredImage));
    return groups.map((g) => ({
      contentHash: String(g.content_hash),
      count: Number(g.n),
      byteSize: Number(g.byte_size),
      wastedBytes: Number(g.wasted),
      images: byHash.get(String(g.content_hash)) ?? [],
    }));
  }
}

function parseRecord(text: string): FactsRecord | undefined {
  try {
    const value = JSON.parse(text) as FactsRecord;
    return value.status === "READY" || value.status === "FAILED" ? value : undefined;
  } catch {
    return undefined;
  }
}
