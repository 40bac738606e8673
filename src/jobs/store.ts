import type { ItemFailure, ItemOutcome, Job, LeasedItem, NewItem, Operation } from "./model.ts";

export interface NewJob {
  readonly id: string;
  readonly tenant: string;
  readonly operation: Operation;
  readonly items: readonly NewItem[];
  readonly createdAt: Date;
}

/** Where a page of a tenant's jobs starts: after this job, newest first. */
export interface JobKeyset {
  readonly createdAt: number;
  readonly id: string;
}

/**
 * Jobs and their items, durable, in the catalogue's database (the SQLite file or PostgreSQL). Every
 * method is one transaction; leases make an item the business of one runner at a time, and a lease
 * not renewed (its runner killed) lets another runner take the item again.
 */
export interface JobStore {
  readonly kind: "embedded" | "postgres";
  /** The job and all its items, at once: a job is never seen without its whole selection. */
  create(job: NewJob): Promise<void>;
  get(tenant: string, id: string): Promise<Job | undefined>;
  /** Up to `limit + 1` of a tenant's jobs, newest first, after the keyset. */
  list(tenant: string, limit: number, after?: JobKeyset): Promise<Job[]>;
  /** Up to `limit + 1` failed items of a job, in order, after a position. */
  failures(jobId: string, limit: number, afterPosition?: number): Promise<ItemFailure[]>;
  /** Stops a queued or running job; a finished one is left as it is. */
  cancel(tenant: string, id: string, now: Date): Promise<Job | undefined>;

  /**
   * Leases up to `limit` pending items of queued or running jobs (oldest job first) to `owner`
   * until `now + leaseMs`, counting a try on each; items whose lease ran out are taken again.
   */
  claim(owner: string, limit: number, now: number, leaseMs: number): Promise<LeasedItem[]>;
  /** Renews the leases `owner` holds; how many it still holds. */
  heartbeat(owner: string, now: number, leaseMs: number): Promise<number>;
  /** Records an item's outcome, if `owner` still holds it. */
  settle(owner: string, item: LeasedItem, outcome: ItemOutcome, now: number): Promise<void>;
  /**
   * Gives an item back, to be taken again no sooner than `notBefore`. `tried: false` when the try
   * certainly had no effect (never sent, or refused with a 429): it is not counted.
   */
  release(owner: string, item: LeasedItem, notBefore: number, tried: boolean): Promise<void>;
  /** Ends running jobs with no pending item left: FAILED when an item failed, else SUCCEEDED. */
  finishCompleted(now: number): Promise<string[]>;
  close(): Promise<void>;
}
