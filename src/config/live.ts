import { declareVariables, type EnvReader } from "./env-reader.ts";

export const LIVE_VARIABLES = declareVariables({
  IMAGE_READY_POLL_INTERVAL_MS: {
    type: "integer",
    default: 1000,
    min: 250,
    max: 60_000,
    description: "`imageReady`: the first wait between two looks at a draft, growing by half after each look.",
  },
  IMAGE_READY_POLL_MAX_INTERVAL_MS: {
    type: "integer",
    default: 10_000,
    min: 250,
    max: 600_000,
    description: "`imageReady`: the longest wait between two looks at a draft.",
  },
});

/** Subscriptions: how a draft is watched (their events travel through REDIS_URL when it is set). */
export interface LiveConfig {
  /** `imageReady`: the first wait between two looks at a draft, growing by half each time up to the max. */
  readonly readyPollIntervalMs: number;
  readonly readyPollMaxIntervalMs: number;
}

export function readLiveConfig(read: EnvReader): LiveConfig {
  const v = LIVE_VARIABLES;
  // At least 250 ms apart: never more than 4 calls a second for one draft, however many watch it.
  const readyPollIntervalMs = read.integer(v.IMAGE_READY_POLL_INTERVAL_MS);
  const readyPollMaxIntervalMs = read.integer(v.IMAGE_READY_POLL_MAX_INTERVAL_MS);
  if (readyPollMaxIntervalMs < readyPollIntervalMs) {
    read.problem("IMAGE_READY_POLL_MAX_INTERVAL_MS must not be below IMAGE_READY_POLL_INTERVAL_MS");
  }
  return { readyPollIntervalMs, readyPollMaxIntervalMs };
}
