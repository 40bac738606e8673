import type { ImageUpdate } from "../upstream/index.ts";

export const JOB_KINDS = ["DELETE", "UPDATE", "IMPORT"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATES = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves. */
export const FINAL_STATES: ReadonlySet<JobState> = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

export type ItemState = "PENDING" | "DONE" | "FAILED" | "SKIPPED";

/** What an update job writes on each image: `ImageUpdate`, and whether the metadata merges into the old. */
export interface UpdateSet extends ImageUpdate {
  readonly mergeMetadata?: boolean;
}

/** One image to import by URL (the upstream's upload by URL). */
export interface ImportItem {
  readonly url: string;
  readonly id?: string;
  readonly metadata?: Record<string, unknown>;
  readonly creator?: string;
  readonly requireSignedURLs?: boolean;
}

/** The operation of a job, applied to each of its items. */
export type Operation = { kind: "DELETE" } | { kind: "UPDATE"; set: UpdateSet } | { kind: "IMPORT" };

/** A job's item as created: the image it touches, or what to import. */
export interface NewItem {
  /** DELETE and UPDATE: the image; IMPORT: the custom id, if any. */
  readonly imageId: string | null;
  readonly importItem?: ImportItem;
  /** The catalogue knew the image when the job was created: a delete that finds it gone counts as done. */
  readonly known: boolean;
}

export interface JobCounts {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface Job extends JobCounts {
  readonly id: string;
  /** Whose job: only that caller sees it. */
  readonly tenant: string;
  readonly kind: JobKind;
  readonly state: JobState;
  readonly operation: Operation;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

/** An item taken under a lease by one runner. */
export interface LeasedItem {
  readonly jobId: string;
  readonly position: number;
  readonly imageId: string | null;
  readonly importItem: ImportItem | undefined;
  readonly known: boolean;
  /** Tries so far, this one included: above 1, an earlier try may have taken effect. */
  readonly attempts: number;
  readonly operation: Operation;
  readonly tenant: string;
}

export type ItemOutcome =
  | { readonly state: "DONE" | "SKIPPED" }
  | { readonly state: "FAILED"; readonly code: string; readonly message: string };

export interface ItemFailure {
  readonly position: number;
  readonly imageId: string | null;
  readonly url: string | null;
  readonly code: string;
  readonly message: string;
}
