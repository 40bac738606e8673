import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { CloudflareImagesApi } from "../upstream/index.ts";
import type { Writes } from "../writes/index.ts";
import { applyItem } from "./apply-item.ts";
import type { LeasedItem } from "./model.ts";
import { Pace } from "./pace.ts";
import type { JobStore } from "./store.ts";

export interface RunnerSettings {
  /** Items in flight at once. */
  readonly concurrency: number;
  /** Upstream calls a second, at most. */
  readonly callsPerSecond: number;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** Looks for work this often when idle. */
  readonly pollMs: number;
  /** Tries of an item that may have reached the upstream, before it fails. */
  readonly maxAttempts: number;
  readonly retryBaseDelayMs: number;
}

export interface RunnerOptions {
  readonly store: JobStore;
  readonly writes: Writes;
  /** The server's api for a job's calls, charged to its tenant's share of the budget. */
  readonly apiFor: (tenant: string, signal: AbortSignal) => CloudflareImagesApi;
  readonly settings: RunnerSettings;
  readonly logger: Logger;
}

/**
 * Takes items of any job from the store under a lease, applies them through the one write path and
 * records each outcome. The lease is renewed by a heartbeat while the process lives; killed, its
 * items' leases run out and a runner (after a restart, or on another replica) takes them again.
 */
export class JobRunner {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  readonly #options: RunnerOptions;
  readonly #pace: Pace;
  readonly #stop = new AbortController();
  readonly #queue: LeasedItem[] = [];
  #inFlight = 0;
  #loop: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #storeFailing = false;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#pace = new Pace(options.settings.callsPerSecond);
  }

  start(): void {
    if (this.#loop) return;
    const { heartbeatMs, leaseMs } = this.#options.settings;
    this.#heartbeat = setInterval(() => {
      this.#options.store.heartbeat(this.owner, Date.now(), leaseMs).catch((error) => this.#storeFailed(error));
    }, heartbeatMs);
    this.#heartbeat.unref();
    this.#loop = this.#run();
  }

  /** A job was created: look for work now rather than at the next poll. */
  kick(): void {
    this.#wake?.();
  }

  /** Stops taking items and waits for those in flight; the ones queued go back with their leases. */
  async close(): Promise<void> {
    this.#stop.abort();
    this.kick();
    clearInterval(this.#heartbeat);
    await this.#loop;
    const { store } = this.#options;
    for (const item of this.#queue.splice(0)) await store.release(this.owner, item, 0, false).catch(() => undefined);
  }

  async #run(): Promise<void> {
    const { store, settings } = this.#options;
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        if (this.#queue.length < settings.concurrency) {
          const want = 2 * settings.concurrency - this.#queue.length - this.#inFlight;
          if (want > 0) this.#queue.push(...(await store.claim(this.owner, want, Date.now(), settings.leaseMs)));
        }
        while (this.#inFlight < settings.concurrency && this.#queue.length > 0) {
          const item = this.#queue.shift() as LeasedItem;
          this.#inFlight += 1;
          void this.#work(item).finally(() => {
            this.#inFlight -= 1;
            this.kick();
          });
        }
        if (this.#queue.length === 0) await store.finishCompleted(Date.now());
        this.#storeFailing = false;
      } catch (error) {
        this.#storeFailed(error);
      }
      // Busy: wait for a free slot; idle: for a new job or the next poll.
      await this.#idle(settings.pollMs);
    }
    while (this.#inFlight > 0) await sleep(20);
  }

  #idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #work(item: LeasedItem): Promise<void> {
    const { store, writes, apiFor, settings, logger } = this.#options;
    const signal = this.#stop.signal;
    try {
      await this.#pace.take(signal);
    } catch {
      await store.release(this.owner, item, 0, false).catch(() => undefined);
      return;
    }
    const result = await applyItem(item, writes, apiFor(item.tenant, signal)).catch((error: unknown) => ({
      outcome: {
        state: "FAILED" as const,
        code: "INTERNAL_SERVER_ERROR",
        message: "The item failed unexpectedly.",
      },
      error,
    }));
    if ("error" in result)
      logger.error({ err: result.error, jobId: item.jobId }, "bulk job: an item failed unexpectedly");
    try {
      if ("outcome" in result) {
        await store.settle(this.owner, item, result.outcome, Date.now());
        return;
      }
      if (result.applied === "no") this.#pace.pause(result.retryAfterMs);
      if (result.applied === "maybe" && item.attempts >= settings.maxAttempts) {
        await store.settle(
          this.owner,
          item,
          { state: "FAILED", code: result.code, message: result.message },
          Date.now(),
        );
        return;
      }
      // Full jitter over an exponential ceiling, unless the upstream said when.
      const backoff =
        result.retryAfterMs || Math.random() * settings.retryBaseDelayMs * 2 ** Math.min(item.attempts, 8);
      await store.release(this.owner, item, Date.now() + backoff, result.applied === "maybe");
    } catch (error) {
      // The lease runs out and the item is taken again; its operation is safe to repeat.
      this.#storeFailed(error);
    }
  }

  #storeFailed(error: unknown): void {
    if (this.#stop.signal.aborted) return;
    if (!this.#storeFailing) {
      this.#options.logger.warn({ err: (error as Error).message }, "bulk jobs: the store failed; retried");
    }
    this.#storeFailing = true;
  }
}
