export { BulkJobs, type BulkJobsOptions, type Planned, type Target } from "./bulk-jobs.ts";
export { JOBS_MIGRATION } from "./migrations.ts";
export * from "./model.ts";
export type { JobKeyset } from "./store.ts";
