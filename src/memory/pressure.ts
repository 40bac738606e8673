import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import type { SheddingConfig } from "../config/memory.ts";

/** What the server is short of: V8's heap, the memory limit, time on the event loop, or places to run requests. */
export type PressureKind = "HEAP" | "MEMORY" | "EVENT_LOOP_DELAY" | "QUEUE";

export interface Pressure {
  readonly kind: PressureKind;
  /** Fit for an operator (readiness) and a client (the shed answer): figures, no internals. */
  readonly message: string;
}

const MB = 1024 * 1024;
// The heap can fill within a burst, so it is read on requests (at most this often); the rest on a timer.
const HEAP_READ_EVERY_MS = 5;
const SAMPLE_EVERY_MS = 500;

/**
 * Whether the process is under pressure now. The heap is compared with V8's own limit; the
 * process's anonymous pages (what the kernel cannot reclaim from it) with the memory limit; the
 * event loop's delay (p99 over each half second, in two in a row) with its bound.
 */
export class PressureGauge {
  readonly #config: SheddingConfig;
  readonly #limitBytes: number | undefined;
  readonly #delay = monitorEventLoopDelay({ resolution: 20 });
  readonly #timer: NodeJS.Timeout;
  #heapReadAt = Number.NEGATIVE_INFINITY;
  #heap: Pressure | undefined;
  #sampled: Pressure | undefined;
  #lateBefore = false;

  constructor(config: SheddingConfig, limitBytes: number | undefined) {
    this.#config = config;
    this.#limitBytes = limitBytes;
    this.#delay.enable();
    this.#timer = setInterval(() => this.#sample(), SAMPLE_EVERY_MS);
    this.#timer.unref();
  }

  current(): Pressure | undefined {
    const now = performance.now();
    if (now - this.#heapReadAt >= HEAP_READ_EVERY_MS) {
      this.#heapReadAt = now;
      this.#heap = this.#readHeap();
    }
    return this.#heap ?? this.#sampled;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#delay.disable();
  }

  #readHeap(): Pressure | undefined {
    const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
    if (used <= limit * this.#config.heapRatio) return undefined;
    return {
      kind: "HEAP",
      message: `the heap is ${Math.round(used / MB)} MB of its ${Math.round(limit / MB)} MB limit`,
    };
  }

  #sample(): void {
    const delayMs = this.#delay.percentile(99) / 1e6;
    this.#delay.reset();
    // Sustained, not one long task or pause: the bound is passed in two windows in a row.
    const lateNow = delayMs > this.#config.eventLoopDelayMs;
    const late = lateNow && this.#lateBefore;
    this.#lateBefore = lateNow;
    if (late) {
      this.#sampled = { kind: "EVENT_LOOP_DELAY", message: `the event loop is ${Math.round(delayMs)} ms late` };
      return;
    }
    const limit = this.#limitBytes;
    const own = limit === undefined ? undefined : ownMemoryBytes();
    // V8 keeps the pages a burst made it take, and new work reuses them: past the mark with a heap mostly
    // free, refusing requests frees nothing (and would refuse them for good). It counts while work holds the heap.
    const { used_heap_size: used, heap_size_limit: heapLimit } = getHeapStatistics();
    this.#sampled =
      limit !== undefined && own !== undefined && own > limit * this.#config.memoryRatio && used > heapLimit / 2
        ? {
            kind: "MEMORY",
            message: `the process holds ${Math.round(own / MB)} MB of its ${Math.round(limit / MB)} MB memory limit`,
          }
        : undefined;
  }
}

const PAGE_BYTES = 4096;

/**
 * Resident pages that are not file-backed (heap, stacks, malloc): what the kernel cannot take back.
 * The node binary's own pages are left out: it can drop and re-read those, and they are often
 * charged to whichever process read them first.
 */
function ownMemoryBytes(): number {
  try {
    // statm(5): size resident shared … in pages; `shared` is the file-backed and shared part of `resident`.
    const [, resident = 0, shared = 0] = readFileSync("/proc/self/statm", "utf8").split(" ").map(Number);
    return (resident - shared) * PAGE_BYTES;
  } catch {
    return process.memoryUsage.rss();
  }
}
