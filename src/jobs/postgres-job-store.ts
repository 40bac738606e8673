import pg from "pg";
import { inPostgresTransaction } from "../catalogue/transactions.ts";
import type { ItemFailure, ItemOutcome, Job, LeasedItem } from "./model.ts";
import {
  ACTIVE_STATES,
  counterOf,
  type FailureRow,
  failureOf,
  JOB_COLUMNS,
  type JobRow,
  jobOf,
  type LeasedRow,
  leasedItemOf,
} from "./rows.ts";
import type { JobKeyset, JobStore, NewJob } from "./store.ts";

/** Items per INSERT when a job is created: well under PostgreSQL's 65,535 parameters. */
const ITEMS_PER_INSERT = 2000;

/**
 * Jobs in the PostgreSQL database every replica shares (`DATABASE_URL`). Runners on any replica
 * claim items with `FOR UPDATE SKIP LOCKED`, so two never take the same item, and none waits for
 * another's claim.
 */
export class PostgresJobStore implements JobStore {
  readonly kind = "postgres";
  readonly #pool: pg.Pool;

  constructor(url: string, options: { onError?: (error: Error) => void } = {}) {
    this.#pool = new pg.Pool({
      connectionString: url,
      max: 4,
      connectionTimeoutMillis: 3000,
      query_timeout: 15_000,
      idleTimeoutMillis: 30_000,
    });
    this.#pool.on("error", (error) => options.onError?.(error));
  }

  async create(job: NewJob): Promise<void> {
    await inPostgresTransaction(this.#pool, async (client) => {
      await client.query(
        `INSERT INTO bulk_jobs (id, tenant, kind, state, operation, total, created_at)
         VALUES ($1, $2, $3, 'QUEUED', $4::jsonb, $5, $6)`,
        [
          job.id,
          job.tenant,
          job.operation.kind,
          JSON.stringify(job.operation),
          job.items.length,
          job.createdAt.getTime(),
        ],
      );
      for (let start = 0; start < job.items.length; start += ITEMS_PER_INSERT) {
        const chunk = job.items.slice(start, start + ITEMS_PER_INSERT);
        await client.query(
          `INSERT INTO bulk_job_items (job_id, position, image_id, import_item, known)
           SELECT $1, p, i, m::jsonb, k FROM unnest($2::int[], $3::text[], $4::text[], $5::boolean[]) AS t(p, i, m, k)`,
          [
            job.id,
            chunk.map((_, k) => start + k),
            chunk.map((item) => item.imageId),
            chunk.map((item) => (item.importItem ? JSON.stringify(item.importItem) : null)),
            chunk.map((item) => item.known),
          ],
        );
      }
    });
  }

  async get(tenant: string, id: string): Promise<Job | undefined> {
    const { rows } = await this.#pool.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM bulk_jobs WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    return rows[0] ? jobOf(rows[0]) : undefined;
  }

  async list(tenant: string, limit: number, after?: JobKeyset): Promise<Job[]> {
    const { rows } = after
      ? await this.#pool.query<JobRow>(
          `SELECT ${JOB_COLUMNS} FROM bulk_jobs
           WHERE tenant = $1 AND (created_at < $2 OR (created_at = $2 AND id COLLATE "C" < $3))
           ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $4`,
          [tenant, after.createdAt, after.id, limit + 1],
        )
      : await this.#pool.query<JobRow>(
          `SELECT ${JOB_COLUMNS} FROM bulk_jobs WHERE tenant = $1 ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $2`,
          [tenant, limit + 1],
        );
    return rows.map(jobOf);
  }

  async failures(jobId: string, limit: number, afterPosition = -1): Promise<ItemFailure[]> {
    const { rows } = await this.#pool.query<FailureRow>(
      `SELECT position, image_id, import_item, code, message FROM bulk_job_items
       WHERE job_id = $1 AND state = 'FAILED' AND position > $2 ORDER BY position LIMIT $3`,
      [jobId, afterPosition, limit + 1],
    );
    return rows.map(failureOf);
  }

  async cancel(tenant: string, id: string, now: Date): Promise<Job | undefined> {
    await this.#pool.query(
      `UPDATE bulk_jobs SET state = 'CANCELLED', finished_at = $1
       WHERE tenant = $2 AND id = $3 AND state IN ${ACTIVE_STATES}`,
      [now.getTime(), tenant, id],
    );
    return this.get(tenant, id);
  }

  async claim(owner: string, limit: number, now: number, leaseMs: number): Promise<LeasedItem[]> {
    let rows: LeasedRow[] = [];
    await inPostgresTransaction(this.#pool, async (client) => {
      ({ rows } = await client.query<LeasedRow>(
        `WITH picked AS (
           SELECT i.job_id, i.position FROM bulk_job_items i JOIN bulk_jobs j ON j.id = i.job_id
           WHERE j.state IN ${ACTIVE_STATES} AND i.state = 'PENDING' AND i.lease_until < $1
           ORDER BY j.created_at, j.id, i.position LIMIT $2
           FOR UPDATE OF i SKIP LOCKED
         ), leased AS (
           UPDATE bulk_job_items i SET lease_owner = $3, lease_until = $4, attempts = i.attempts + 1
           FROM picked p WHERE i.job_id = p.job_id AND i.position = p.position
           RETURNING i.job_id, i.position, i.image_id, i.import_item, i.known, i.attempts
         )
         SELECT l.*, j.tenant, j.operation FROM leased l JOIN bulk_jobs j ON j.id = l.job_id
         ORDER BY l.job_id, l.position`,
        [now, limit, owner, now + leaseMs],
      ));
      const jobs = [...new Set(rows.map((row) => row.job_id))];
      if (jobs.length > 0) {
        await client.query(
          "UPDATE bulk_jobs SET state = 'RUNNING', started_at = $1 WHERE id = ANY($2::text[]) AND state = 'QUEUED'",
          [now, jobs],
        );
      }
    });
    return rows.map(leasedItemOf);
  }

  async heartbeat(owner: string, now: number, leaseMs: number): Promise<number> {
    const { rowCount } = await this.#pool.query(
      "UPDATE bulk_job_items SET lease_until = $1 WHERE lease_owner = $2 AND state = 'PENDING'",
      [now + leaseMs, owner],
    );
    return rowCount ?? 0;
  }

  async settle(owner: string, item: LeasedItem, outcome: ItemOutcome, now: number): Promise<void> {
    const failure = outcome.state === "FAILED" ? outcome : undefined;
    const counter = counterOf(outcome);
    // One statement: the item and its job's count move together or not at all.
    await this.#pool.query(
      `WITH settled AS (
         UPDATE bulk_job_items SET state = $1, code = $2, message = $3, finished_at = $4, lease_owner = NULL
         WHERE job_id = $5 AND position = $6 AND lease_owner = $7 AND state = 'PENDING'
         RETURNING job_id
       )
       UPDATE bulk_jobs SET ${counter} = ${counter} + 1 WHERE id IN (SELECT job_id FROM settled)`,
      [outcome.state, failure?.code ?? null, failure?.message ?? null, now, item.jobId, item.position, owner],
    );
  }

  async release(owner: string, item: LeasedItem, notBefore: number, tried: boolean): Promise<void> {
    await this.#pool.query(
      `UPDATE bulk_job_items SET lease_owner = NULL, lease_until = $1, attempts = attempts - $5
       WHERE job_id = $2 AND position = $3 AND lease_owner = $4 AND state = 'PENDING'`,
      [notBefore, item.jobId, item.position, owner, tried ? 0 : 1],
    );
  }

  async finishCompleted(now: number): Promise<string[]> {
    const { rows } = await this.#pool.query<{ id: string }>(
      `UPDATE bulk_jobs j SET state = CASE WHEN failed > 0 THEN 'FAILED' ELSE 'SUCCEEDED' END, finished_at = $1
       WHERE state = 'RUNNING'
         AND NOT EXISTS (SELECT 1 FROM bulk_job_items i WHERE i.job_id = j.id AND i.state = 'PENDING')
       RETURNING id`,
      [now],
    );
    return rows.map((row) => row.id);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
