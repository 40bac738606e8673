import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { inSqliteTransaction } from "../catalogue/transactions.ts";
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

/**
 * Jobs in the embedded catalogue's SQLite file, through a connection of their own. node:sqlite is
 * synchronous and every transaction here runs without an await inside it, so the catalogue's
 * connection and this one never wait on each other in one process; `BEGIN IMMEDIATE` serialises
 * claims against any other writer of the file.
 */
export class SqliteJobStore implements JobStore {
  readonly kind = "embedded";
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(file: string) {
    this.#db = new DatabaseSync(file);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000");
  }

  async create(job: NewJob): Promise<void> {
    inSqliteTransaction(this.#db, () => {
      this.#run(
        `INSERT INTO bulk_jobs (id, tenant, kind, state, operation, total, created_at)
         VALUES (?, ?, ?, 'QUEUED', ?, ?, ?)`,
        [
          job.id,
          job.tenant,
          job.operation.kind,
          JSON.stringify(job.operation),
          job.items.length,
          job.createdAt.getTime(),
        ],
      );
      const insert = this.#statement(
        "INSERT INTO bulk_job_items (job_id, position, image_id, import_item, known) VALUES (?, ?, ?, ?, ?)",
      );
      job.items.forEach((item, position) => {
        insert.run(
          job.id,
          position,
          item.imageId,
          item.importItem ? JSON.stringify(item.importItem) : null,
          item.known ? 1 : 0,
        );
      });
    });
  }

  async get(tenant: string, id: string): Promise<Job | undefined> {
    const row = this.#get(`SELECT ${JOB_COLUMNS} FROM bulk_jobs WHERE tenant = ? AND id = ?`, [tenant, id]);
    return row ? jobOf(row as JobRow) : undefined;
  }

  async list(tenant: string, limit: number, after?: JobKeyset): Promise<Job[]> {
    const rows = after
      ? this.#all(
          `SELECT ${JOB_COLUMNS} FROM bulk_jobs WHERE tenant = ? AND (created_at < ? OR (created_at = ? AND id < ?))
           ORDER BY created_at DESC, id DESC LIMIT ?`,
          [tenant, after.createdAt, after.createdAt, after.id, limit + 1],
        )
      : this.#all(`SELECT ${JOB_COLUMNS} FROM bulk_jobs WHERE tenant = ? ORDER BY created_at DESC, id DESC LIMIT ?`, [
          tenant,
          limit + 1,
        ]);
    return (rows as JobRow[]).map(jobOf);
  }

  async failures(jobId: string, limit: number, afterPosition = -1): Promise<ItemFailure[]> {
    const rows = this.#all(
      `SELECT position, image_id, import_item, code, message FROM bulk_job_items
       WHERE job_id = ? AND state = 'FAILED' AND position > ? ORDER BY position LIMIT ?`,
      [jobId, afterPosition, limit + 1],
    );
    return (rows as FailureRow[]).map(failureOf);
  }

  async cancel(tenant: string, id: string, now: Date): Promise<Job | undefined> {
    this.#run(
      `UPDATE bulk_jobs SET state = 'CANCELLED', finished_at = ? WHERE tenant = ? AND id = ? AND state IN ${ACTIVE_STATES}`,
      [now.getTime(), tenant, id],
    );
    return this.get(tenant, id);
  }

  async claim(owner: string, limit: number, now: number, leaseMs: number): Promise<LeasedItem[]> {
    let rows: LeasedRow[] = [];
    inSqliteTransaction(this.#db, () => {
      rows = this.#all(
        `SELECT i.job_id, i.position, i.image_id, i.import_item, i.known, i.attempts + 1 AS attempts, j.tenant, j.operation
         FROM bulk_jobs j JOIN bulk_job_items i ON i.job_id = j.id
         WHERE j.state IN ${ACTIVE_STATES} AND i.state = 'PENDING' AND i.lease_until < ?
         ORDER BY j.created_at, j.id, i.position LIMIT ?`,
        [now, limit],
      ) as LeasedRow[];
      const lease = this.#statement(
        `UPDATE bulk_job_items SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
         WHERE job_id = ? AND position = ?`,
      );
      const started = new Set<string>();
      for (const row of rows) {
        lease.run(owner, now + leaseMs, row.job_id, row.position);
        started.add(row.job_id);
      }
      for (const jobId of started) {
        this.#run("UPDATE bulk_jobs SET state = 'RUNNING', started_at = ? WHERE id = ? AND state = 'QUEUED'", [
          now,
          jobId,
        ]);
      }
    });
    return rows.map(leasedItemOf);
  }

  async heartbeat(owner: string, now: number, leaseMs: number): Promise<number> {
    const result = this.#statement(
      "UPDATE bulk_job_items SET lease_until = ? WHERE lease_owner = ? AND state = 'PENDING'",
    ).run(now + leaseMs, owner);
    return Number(result.changes);
  }

  async settle(owner: string, item: LeasedItem, outcome: ItemOutcome, now: number): Promise<void> {
    inSqliteTransaction(this.#db, () => {
      const failure = outcome.state === "FAILED" ? outcome : undefined;
      const result = this.#statement(
        `UPDATE bulk_job_items SET state = ?, code = ?, message = ?, finished_at = ?, lease_owner = NULL
         WHERE job_id = ? AND position = ? AND lease_owner = ? AND state = 'PENDING'`,
      ).run(outcome.state, failure?.code ?? null, failure?.message ?? null, now, item.jobId, item.position, owner);
      if (Number(result.changes) === 1) {
        const counter = counterOf(outcome);
        this.#run(`UPDATE bulk_jobs SET ${counter} = ${counter} + 1 WHERE id = ?`, [item.jobId]);
      }
    });
  }

  async release(owner: string, item: LeasedItem, notBefore: number, tried: boolean): Promise<void> {
    this.#run(
      `UPDATE bulk_job_items SET lease_owner = NULL, lease_until = ?, attempts = attempts - ?
       WHERE job_id = ? AND position = ? AND lease_owner = ? AND state = 'PENDING'`,
      [notBefore, tried ? 0 : 1, item.jobId, item.position, owner],
    );
  }

  async finishCompleted(now: number): Promise<string[]> {
    let finished: string[] = [];
    inSqliteTransaction(this.#db, () => {
      finished = (
        this.#all(
          `SELECT id FROM bulk_jobs j WHERE state = 'RUNNING'
           AND NOT EXISTS (SELECT 1 FROM bulk_job_items i WHERE i.job_id = j.id AND i.state = 'PENDING')`,
          [],
        ) as { id: string }[]
      ).map((r) => r.id);
      for (const id of finished) {
        this.#run(
          `UPDATE bulk_jobs SET state = CASE WHEN failed > 0 THEN 'FAILED' ELSE 'SUCCEEDED' END, finished_at = ?
           WHERE id = ? AND state = 'RUNNING'`,
          [now, id],
        );
      }
    });
    return finished;
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #run(sql: string, params: readonly SQLInputValue[]): void {
    this.#statement(sql).run(...params);
  }

  #get(sql: string, params: readonly SQLInputValue[]): unknown {
    return this.#statement(sql).get(...params);
  }

  #all(sql: string, params: readonly SQLInputValue[]): unknown[] {
    return this.#statement(sql).all(...params);
  }
}
