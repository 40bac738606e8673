import { cgroupMemoryLimit, type MemoryLimit } from "../memory/limit.ts";
import { sizedFor } from "../memory/sizing.ts";
import { declareVariables, type Env, EnvReader } from "./env-reader.ts";

const MB = 1024 * 1024;

export const MEMORY_VARIABLES = declareVariables({
  MEMORY_LIMIT_MB: {
    type: "integer",
    default: 0,
    min: 0,
    max: 1024 * 1024,
    defaultText: "the cgroup's limit (v1 or v2), if any",
    description:
      "The memory this process may use (at least 64); V8's heap, the cache and the caps are sized from it. 0: learn it from the cgroup.",
  },
  MEMORY_RELAUNCH: {
    type: "choice",
    values: ["on", "off"],
    default: "on",
    description:
      "`on`: src/main.ts runs node again (same pid) with `--max-old-space-size` sized from the limit and a small `--max-semi-space-size` (8, or 4 under 256 MB) when not given; `off`: pass them yourself.",
  },
  MAX_SUBSCRIPTIONS: {
    type: "integer",
    default: 10_000,
    min: 1,
    max: 1_000_000,
    defaultText: "a tenth of the memory limit at ~43 KB each (50 to 10000); 10000 without a limit",
    description: "Subscriptions open at once on this process; the next is refused (UPSTREAM_UNAVAILABLE, OVERLOADED).",
  },
  MAX_SUBSCRIPTIONS_PER_CALLER: {
    type: "integer",
    default: 2_500,
    min: 1,
    max: 1_000_000,
    defaultText: "a quarter of MAX_SUBSCRIPTIONS",
    description:
      "Subscriptions one caller (API key, JWT subject, token, or address) may hold open; the next is refused (RATE_LIMITED).",
  },
  MAX_IN_FLIGHT_REQUESTS: {
    type: "integer",
    default: 0,
    min: 0,
    max: 100_000,
    defaultText: "one per 10 MB of the memory limit (at least 4); 0 (no bound) without a limit",
    description:
      "GraphQL requests running at once (uploads aside); more wait in order, up to MAX_QUEUED_REQUESTS. 0: no bound.",
  },
  MAX_QUEUED_REQUESTS: {
    type: "integer",
    default: 0,
    min: 0,
    max: 1_000_000,
    defaultText: "4 × MAX_IN_FLIGHT_REQUESTS",
    description: "GraphQL requests waiting for a place; the next gets a fast 503 (OVERLOADED, pressure QUEUE).",
  },
  LOAD_SHEDDING: {
    type: "choice",
    values: ["on", "off"],
    default: "on",
    description: "Under memory or event-loop pressure, new requests get a fast 503 with Retry-After (OVERLOADED).",
  },
  SHED_HEAP_RATIO: {
    type: "fraction",
    default: 0.85,
    description: "Share of V8's heap limit in use past which new requests are shed.",
  },
  SHED_MEMORY_RATIO: {
    type: "fraction",
    default: 0.9,
    description:
      "Share of the memory limit in the process's own (anonymous) pages past which new requests are shed, while over half the heap is in use.",
  },
  SHED_EVENT_LOOP_DELAY_MS: {
    type: "integer",
    default: 2000,
    min: 10,
    max: 600_000,
    description: "Event-loop delay (p99 of two half-second windows in a row) past which new requests are shed.",
  },
  SHED_RETRY_AFTER_SECONDS: {
    type: "integer",
    default: 1,
    min: 1,
    max: 3600,
    description: "The Retry-After of a shed answer.",
  },
});

/** What the server knows of its memory, and the bounds it keeps under it. */
export interface MemoryConfig {
  /** Absent: no limit is known (no cgroup limit, no `MEMORY_LIMIT_MB`), and nothing is sized from one. */
  readonly limit: MemoryLimit | undefined;
  /** Whether src/main.ts may run node again with V8's flags sized from the limit (read there; validated here). */
  readonly relaunch: boolean;
  /** Subscriptions open at once on this process; the next one is refused. */
  readonly maxSubscriptions: number;
  /** Subscriptions one caller may hold open at once. */
  readonly maxSubscriptionsPerCaller: number;
  /** GraphQL requests running at once (0: no bound), and waiting for a place. */
  readonly maxInFlight: number;
  readonly maxQueued: number;
  readonly shedding: SheddingConfig;
}

/** When new requests get a fast 503 instead of being started. */
export interface SheddingConfig {
  readonly enabled: boolean;
  /** Share of V8's heap limit in use past which requests are shed. */
  readonly heapRatio: number;
  /** Share of the memory limit held by the process's own (anonymous) pages past which requests are shed. */
  readonly memoryRatio: number;
  /** Event-loop delay (p99 over each half second, two in a row) past which requests are shed. */
  readonly eventLoopDelayMs: number;
  /** What a shed answer's `Retry-After` says. */
  readonly retryAfterSeconds: number;
}

/** `MEMORY_LIMIT_MB`, else what `detect` learns of the cgroup (a test passes its own). */
function readLimit(read: EnvReader, detect: () => MemoryLimit | undefined): MemoryLimit | undefined {
  const explicitMb = read.integer(MEMORY_VARIABLES.MEMORY_LIMIT_MB);
  if (explicitMb > 0 && explicitMb < 64) read.problem(`MEMORY_LIMIT_MB must be 0 or at least 64 (got "${explicitMb}")`);
  return explicitMb > 0 ? { bytes: explicitMb * MB, source: "MEMORY_LIMIT_MB" } : detect();
}

/** Reads the memory settings; the caps' defaults are sized from the limit. */
export function readMemoryConfig(
  read: EnvReader,
  detect: () => MemoryLimit | undefined = cgroupMemoryLimit,
): MemoryConfig {
  const v = MEMORY_VARIABLES;
  const limit = readLimit(read, detect);
  const sized = sizedFor(limit?.bytes);
  const maxSubscriptions = read.integer(v.MAX_SUBSCRIPTIONS, sized.maxSubscriptions);
  const maxInFlight = read.integer(v.MAX_IN_FLIGHT_REQUESTS, sized.maxInFlight);
  return {
    limit,
    relaunch: (read.choice(v.MEMORY_RELAUNCH) ?? "on") === "on",
    maxSubscriptions,
    maxSubscriptionsPerCaller: read.integer(
      v.MAX_SUBSCRIPTIONS_PER_CALLER,
      Math.max(1, Math.floor(maxSubscriptions / 4)),
    ),
    maxInFlight,
    maxQueued: read.integer(v.MAX_QUEUED_REQUESTS, 4 * maxInFlight),
    shedding: {
      enabled: (read.choice(v.LOAD_SHEDDING) ?? "on") === "on",
      heapRatio: read.fraction(v.SHED_HEAP_RATIO),
      memoryRatio: read.fraction(v.SHED_MEMORY_RATIO),
      eventLoopDelayMs: read.integer(v.SHED_EVENT_LOOP_DELAY_MS),
      retryAfterSeconds: read.integer(v.SHED_RETRY_AFTER_SECONDS),
    },
  };
}

/** What src/main.ts needs before anything else loads, to decide whether node must run again with other flags. */
export interface LaunchConfig {
  readonly relaunch: boolean;
  /** Absent: no limit known. */
  readonly limitBytes: number | undefined;
  /** Node's flags given through `NODE_OPTIONS`, which `process.execArgv` does not list. */
  readonly nodeOptions: readonly string[];
}

/** Read apart from loadConfig, at the very start; a bad value is left for loadConfig to report. */
export function loadLaunchConfig(env: Env = process.env): LaunchConfig {
  const read = new EnvReader(env, []);
  const relaunch = (read.choice(MEMORY_VARIABLES.MEMORY_RELAUNCH) ?? "on") === "on";
  return {
    relaunch,
    limitBytes: relaunch ? readLimit(read, cgroupMemoryLimit)?.bytes : undefined,
    nodeOptions: (env.NODE_OPTIONS ?? "").split(/\s+/).filter(Boolean),
  };
}
