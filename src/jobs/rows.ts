import type { ImportItem, ItemFailure, ItemOutcome, Job, JobKind, JobState, LeasedItem, Operation } from "./model.ts";

/** A `bulk_jobs` row as either store returns it (PostgreSQL's BIGINTs come back as text). */
export interface JobRow {
  id: string;
  tenant: string;
  kind: string;
  state: string;
  operation: string | Operation;
  total: number | string;
  done: number | string;
  failed: number | string;
  skipped: number | string;
  created_at: number | string;
  started_at: number | string | null;
  finished_at: number | string | null;
}

export const JOB_COLUMNS =
  "id, tenant, kind, state, operation, total, done, failed, skipped, created_at, started_at, finished_at";

export function jobOf(row: JobRow): Job {
  const date = (value: number | string | null) => (value === null ? null : new Date(Number(value)));
  return {
    id: row.id,
    tenant: row.tenant,
    kind: row.kind as JobKind,
    state: row.state as JobState,
    operation: typeof row.operation === "string" ? (JSON.parse(row.operation) as Operation) : row.operation,
    total: Number(row.total),
    done: Number(row.done),
    failed: Number(row.failed),
    skipped: Number(row.skipped),
    createdAt: new Date(Number(row.created_at)),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
  };
}

export interface LeasedRow extends Pick<JobRow, "tenant" | "operation"> {
  job_id: string;
  position: number | string;
  image_id: string | null;
  import_item: string | ImportItem | null;
  known: boolean | number;
  attempts: number | string;
}

export function leasedItemOf(row: LeasedRow): LeasedItem {
  return {
    jobId: row.job_id,
    position: Number(row.position),
    imageId: row.image_id,
    importItem:
      row.import_item === null
        ? undefined
        : typeof row.import_item === "string"
          ? (JSON.parse(row.import_item) as ImportItem)
          : row.import_item,
    known: row.known === true || row.known === 1,
    attempts: Number(row.attempts),
    operation: typeof row.operation === "string" ? (JSON.parse(row.operation) as Operation) : row.operation,
    tenant: row.tenant,
  };
}

export interface FailureRow {
  position: number | string;
  image_id: string | null;
  import_item: string | ImportItem | null;
  code: string;
  message: string;
}

export function failureOf(row: FailureRow): ItemFailure {
  const item =
    row.import_item === null
      ? undefined
      : typeof row.import_item === "string"
        ? (JSON.parse(row.import_item) as ImportItem)
        : row.import_item;
  return {
    position: Number(row.position),
    imageId: row.image_id,
    url: item?.url ?? null,
    code: row.code,
    message: row.message,
  };
}

/** The `bulk_jobs` counter an outcome moves. */
export function counterOf(outcome: ItemOutcome): "done" | "failed" | "skipped" {
  return outcome.state === "DONE" ? "done" : outcome.state === "FAILED" ? "failed" : "skipped";
}

const PENDING_OR_RUNNING = "('QUEUED', 'RUNNING')";
export const ACTIVE_STATES = PENDING_OR_RUNNING;
