export { BulkJobs, type BulkJobsOptions, type Planned, type Target } from "./bulk-jobs.ts";
export * from "./model.ts";
export type { JobKeyset } from "./store.ts";
