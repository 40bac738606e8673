import type { EnvReader } from "../config.ts";
import { cgroupMemoryLimit, type MemoryLimit } from "./limit.ts";

const MB = 1024 * 1024;

/** What the server knows of its memory, and the bounds it keeps under it. */
export interface MemoryConfig {
  /** Absent: no limit is known (no cgroup limit, no `MEMORY_LIMIT_MB`), and nothing is sized from one. */
  readonly limit: MemoryLimit | undefined;
  /** Subscriptions open at once on this process; the next one is refused. */
  readonly maxSubscriptions: number;
  /** Subscriptions one caller (API key, JWT subject, token, or address) may hold open at once. */
  readonly maxSubscriptionsPerCaller: number;
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

/**
 * Reads the memory settings. `detect` learns the cgroup's limit (a test passes its own); an explicit
 * `MEMORY_LIMIT_MB` wins over it.
 */
export function readMemoryConfig(
  read: EnvReader,
  detect: () => MemoryLimit | undefined = cgroupMemoryLimit,
): MemoryConfig {
  /** MEMORY_LIMIT_MB: the memory this process may use, when the cgroup does not say or says wrong. */
  const explicitMb = read.integer("MEMORY_LIMIT_MB", 0, 64, 1024 * 1024);
  const limit: MemoryLimit | undefined =
    explicitMb > 0 ? { bytes: explicitMb * MB, source: "MEMORY_LIMIT_MB" } : detect();
  const defaults = sizedFor(limit?.bytes);
  /** MAX_SUBSCRIPTIONS: open subscriptions on this process (default sized from the memory limit). */
  const maxSubscriptions = read.integer("MAX_SUBSCRIPTIONS", defaults.maxSubscriptions, 1, 1_000_000);
  return {
    limit,
    maxSubscriptions,
    /** MAX_SUBSCRIPTIONS_PER_CALLER: open subscriptions of one caller (default a quarter of MAX_SUBSCRIPTIONS). */
    maxSubscriptionsPerCaller: read.integer(
      "MAX_SUBSCRIPTIONS_PER_CALLER",
      Math.max(1, Math.floor(maxSubscriptions / 4)),
      1,
      1_000_000,
    ),
    shedding: {
      /** LOAD_SHEDDING: `on` (default) answers new requests 503 under memory or event-loop pressure. */
      enabled: (read.oneOf("LOAD_SHEDDING", ["on", "off"] as const) ?? "on") === "on",
      /** SHED_HEAP_RATIO: share of V8's heap limit in use past which requests are shed (tests force a tiny one). */
      heapRatio: read.fraction("SHED_HEAP_RATIO", 0.85),
      /** SHED_MEMORY_RATIO: share of the memory limit in the process's own pages past which requests are shed. */
      memoryRatio: read.fraction("SHED_MEMORY_RATIO", 0.85),
      /** SHED_EVENT_LOOP_DELAY_MS: event-loop delay (p99, sustained for a second) past which requests are shed. */
      eventLoopDelayMs: read.integer("SHED_EVENT_LOOP_DELAY_MS", 2000, 10, 600_000),
      /** SHED_RETRY_AFTER_SECONDS: the `Retry-After` of a shed answer. */
      retryAfterSeconds: read.integer("SHED_RETRY_AFTER_SECONDS", 1, 1, 3600),
    },
  };
}

/** The defaults of the settings that memory bounds, for a limit of `limitBytes` (none: as without one). */
export interface MemorySizing {
  /** V8's old generation (`--max-old-space-size`, MB); absent: V8's own default. */
  readonly heapMb: number | undefined;
  readonly cacheMaxBytes: number;
  readonly loaderConcurrency: number;
  readonly uploadConcurrency: number;
  readonly maxSubscriptions: number;
}

// About 43 KB each measured over SSE: a tenth of the memory limit holds this many.
const SUBSCRIPTION_BYTES = 43 * 1024;

export function sizedFor(limitBytes: number | undefined): MemorySizing {
  if (limitBytes === undefined) {
    return {
      heapMb: undefined,
      cacheMaxBytes: 16 * MB,
      loaderConcurrency: 10,
      uploadConcurrency: 4,
      maxSubscriptions: 10_000,
    };
  }
  const limitMb = limitBytes / MB;
  return {
    // Half the limit for the old generation: the rest holds the young generation, code, the node binary's pages and buffers.
    heapMb: Math.max(32, Math.floor(limitMb / 2)),
    cacheMaxBytes: Math.min(16 * MB, Math.max(MB, Math.floor(limitBytes / 16))),
    loaderConcurrency: limitMb < 256 ? 6 : 10,
    uploadConcurrency: limitMb < 256 ? 2 : 4,
    maxSubscriptions: Math.max(50, Math.min(10_000, Math.floor(limitBytes / 10 / SUBSCRIPTION_BYTES))),
  };
}
