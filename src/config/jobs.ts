import { declareVariables, type EnvReader } from "./env-reader.ts";

export const JOBS_VARIABLES = declareVariables({
  BULK_MAX_ITEMS: {
    type: "integer",
    default: 100_000,
    min: 1,
    max: 10_000_000,
    description: "Images (or URLs) one bulk job may touch; a larger selection is refused before anything runs.",
  },
  BULK_CONCURRENCY: {
    type: "integer",
    default: 16,
    min: 1,
    max: 256,
    description:
      "Items of bulk jobs this replica applies at once; keep it at most UPSTREAM_CONNECTIONS, or calls that took a batch-host slot queue for a connection and reach the upstream bunched (429s).",
  },
  BULK_CALLS_PER_SECOND: {
    type: "integer",
    default: 160,
    min: 1,
    max: 10_000,
    description:
      "Upstream calls a second this replica's bulk jobs make at most: below the batch host's 200, so interactive calls keep a free slot.",
  },
  BULK_LEASE_SECONDS: {
    type: "integer",
    default: 30,
    min: 2,
    max: 3600,
    description: "How long a runner holds an item without a heartbeat before another runner may take it again.",
  },
  BULK_HEARTBEAT_SECONDS: {
    type: "integer",
    default: 5,
    min: 1,
    max: 600,
    description: "How often a runner renews the leases of the items it holds (below BULK_LEASE_SECONDS).",
  },
  BULK_POLL_MS: {
    type: "integer",
    default: 500,
    min: 10,
    max: 60_000,
    description: "How often an idle runner looks for items of jobs made on other replicas, or whose lease ran out.",
  },
  BULK_ITEM_ATTEMPTS: {
    type: "integer",
    default: 5,
    min: 1,
    max: 100,
    description:
      "Tries of an item after transient upstream failures (5xx, dropped connections) before it fails; 429s wait without counting.",
  },
  BULK_RETRY_BASE_DELAY_MS: {
    type: "integer",
    default: 500,
    min: 1,
    max: 60_000,
    description: "First back-off of an item after a transient failure, doubling with each try (with jitter).",
  },
});

/** Bulk jobs (DESIGN §12): their size limit and how fast and how safely a replica runs them. */
export interface JobsConfig {
  readonly maxItems: number;
  readonly concurrency: number;
  readonly callsPerSecond: number;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly pollMs: number;
  readonly maxAttempts: number;
  readonly retryBaseDelayMs: number;
}

export function readJobsConfig(read: EnvReader): JobsConfig {
  const v = JOBS_VARIABLES;
  const leaseSeconds = read.integer(v.BULK_LEASE_SECONDS);
  const heartbeatSeconds = read.integer(v.BULK_HEARTBEAT_SECONDS);
  // A lease renewed less often than it lasts would run out under a live runner.
  if (heartbeatSeconds * 2 > leaseSeconds) {
    read.problem("BULK_HEARTBEAT_SECONDS must be at most half of BULK_LEASE_SECONDS");
  }
  return {
    maxItems: read.integer(v.BULK_MAX_ITEMS),
    concurrency: read.integer(v.BULK_CONCURRENCY),
    callsPerSecond: read.integer(v.BULK_CALLS_PER_SECOND),
    leaseMs: leaseSeconds * 1000,
    heartbeatMs: heartbeatSeconds * 1000,
    pollMs: read.integer(v.BULK_POLL_MS),
    maxAttempts: read.integer(v.BULK_ITEM_ATTEMPTS),
    retryBaseDelayMs: read.integer(v.BULK_RETRY_BASE_DELAY_MS),
  };
}
