import { declareVariables, type EnvReader } from "./env-reader.ts";

export const BUDGET_VARIABLES = declareVariables({
  UPSTREAM_BUDGET: {
    type: "integer",
    default: 1200,
    min: 1,
    max: 1_000_000,
    description: "Calls to the global API per window, for all replicas together when REDIS_URL is set.",
  },
  UPSTREAM_BUDGET_WINDOW_SECONDS: {
    type: "integer",
    default: 300,
    min: 1,
    max: 86_400,
    description: "Length of the budget's window in seconds.",
  },
  UPSTREAM_REPLICAS: {
    type: "integer",
    default: 1,
    min: 1,
    max: 1000,
    description:
      "Replicas sharing the account: while Redis is out of reach each keeps to UPSTREAM_BUDGET ÷ UPSTREAM_REPLICAS.",
  },
  UPSTREAM_CALLER_SHARE: {
    type: "fraction",
    default: 0.5,
    description: "The most of the budget one caller may spend per window (1: no per-caller limit).",
  },
});

/** The upstream request budget: the account's window, shared through Redis (REDIS_URL) by every replica. */
export interface BudgetConfig {
  readonly limit: number;
  readonly windowSeconds: number;
  /** Replicas sharing the account: each one's share of the budget while Redis cannot be reached. */
  readonly replicas: number;
  /** The most of the window one caller may take (0 < share <= 1). */
  readonly callerShare: number;
}

export function readBudgetConfig(read: EnvReader): BudgetConfig {
  const v = BUDGET_VARIABLES;
  return {
    limit: read.integer(v.UPSTREAM_BUDGET),
    windowSeconds: read.integer(v.UPSTREAM_BUDGET_WINDOW_SECONDS),
    replicas: read.integer(v.UPSTREAM_REPLICAS),
    callerShare: read.fraction(v.UPSTREAM_CALLER_SHARE),
  };
}
