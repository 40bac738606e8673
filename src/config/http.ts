import { declareVariables, type EnvReader } from "./env-reader.ts";

export const HTTP_VARIABLES = declareVariables({
  UPSTREAM_CONNECTIONS: {
    type: "integer",
    default: 16,
    min: 1,
    max: 1024,
    description: "undici pool size for every upstream call but uploads.",
  },
  MAX_CONCURRENT_UPLOADS: {
    type: "integer",
    default: 4,
    min: 1,
    max: 1024,
    defaultText: "4 (2 under a memory limit below 256 MB)",
    description: "Uploads streaming to the upstream at once, on a pool of their own (more wait their turn).",
  },
  UPSTREAM_CONNECT_TIMEOUT_MS: {
    type: "integer",
    default: 5_000,
    min: 1,
    max: 600_000,
    description: "Connect timeout of an upstream call.",
  },
  UPSTREAM_TIMEOUT_MS: {
    type: "integer",
    default: 30_000,
    min: 1,
    max: 600_000,
    description: "Headers and body timeout of an upstream call.",
  },
  UPSTREAM_DEADLINE_MS: {
    type: "integer",
    default: 10_000,
    min: 1,
    max: 600_000,
    description: "One bound on an upstream call across all its tries and back-offs (then UPSTREAM_UNAVAILABLE).",
  },
  UPSTREAM_RETRIES: {
    type: "integer",
    default: 2,
    min: 0,
    max: 10,
    description: "Retries of GETs on 5xx, 429 and connection errors.",
  },
  UPSTREAM_RETRY_BASE_DELAY_MS: {
    type: "integer",
    default: 200,
    min: 0,
    max: 60_000,
    description: "Base of the retries' exponential back-off (full jitter).",
  },
  UPSTREAM_MAX_RETRY_AFTER_SECONDS: {
    type: "integer",
    default: 5,
    min: 0,
    max: 600,
    description: "A 429 asking to wait longer than this is answered at once as RATE_LIMITED.",
  },
});

/** How the transport talks to the upstream hosts. */
export interface HttpConfig {
  readonly connections: number;
  /** Uploads streaming to the upstream at once, on connections of their own. */
  readonly uploadConnections: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** One bound on an upstream call across all its tries. */
  readonly deadlineMs: number;
  readonly retries: number;
  readonly retryBaseDelayMs: number;
  readonly maxRetryAfterSeconds: number;
}

/** `uploadConcurrency`: the default of MAX_CONCURRENT_UPLOADS, sized from the memory limit. */
export function readHttpConfig(read: EnvReader, { uploadConcurrency }: { uploadConcurrency: number }): HttpConfig {
  const v = HTTP_VARIABLES;
  return {
    connections: read.integer(v.UPSTREAM_CONNECTIONS),
    uploadConnections: read.integer(v.MAX_CONCURRENT_UPLOADS, uploadConcurrency),
    connectTimeoutMs: read.integer(v.UPSTREAM_CONNECT_TIMEOUT_MS),
    requestTimeoutMs: read.integer(v.UPSTREAM_TIMEOUT_MS),
    deadlineMs: read.integer(v.UPSTREAM_DEADLINE_MS),
    retries: read.integer(v.UPSTREAM_RETRIES),
    retryBaseDelayMs: read.integer(v.UPSTREAM_RETRY_BASE_DELAY_MS),
    maxRetryAfterSeconds: read.integer(v.UPSTREAM_MAX_RETRY_AFTER_SECONDS),
  };
}
