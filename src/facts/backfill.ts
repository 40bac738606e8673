import { setTimeout as sleep } from "node:timers/promises";
import type { StreamedAnswer } from "../upstream/http-types.ts";
import type { Image } from "../upstream/index.ts";
import type { FactsBudget } from "./budget-share.ts";
import { collectStream } from "./collect.ts";
import { computeFacts, type DecodeLimits } from "./decode.ts";
import type { FactsRecord } from "./facts.ts";
import { type FactsStore, keyOf } from "./store.ts";

export interface BackfillJob {
  scope: string;
  image: Image;
  /** The stored bytes, read with the credential the image was seen with, outside any request. */
  download(imageId: string): Promise<StreamedAnswer>;
}

export interface FactsBackfillOptions {
  store: FactsStore;
  budget: FactsBudget;
  concurrency: number;
  queueLength: number;
  limits: DecodeLimits;
  /** Facts became known: the image's subscribers hear it. */
  onKnown(scope: string, image: Image, record: FactsRecord): void;
}

/** After a failed download, an image is not tried again for this long (a read enqueues it again after). */
const RETRY_AFTER_FAILURE_MS = 60_000;

/**
 * Older images' facts, computed in the background on their first read: the read never waits.
 * At most `concurrency` downloads and decodes at once, within the backfill's share of the budget;
 * a claim in the store makes sure no other replica computes the same image.
 */
export class FactsBackfill {
  readonly #options: FactsBackfillOptions;
  readonly #queue: BackfillJob[] = [];
  /** Queued or running, by scope and id: an image is in the queue once. */
  readonly #pending = new Set<string>();
  readonly #failedAt = new Map<string, number>();
  #running = 0;
  #pausedUntil = 0;
  #closed = false;
  #idle: (() => void)[] = [];
  #wake: AbortController | undefined;
  /** Downloads made and facts stored by this process, for the bench and tests. */
  readonly counts = { downloads: 0, computed: 0, skipped: 0 };

  constructor(options: FactsBackfillOptions) {
    this.#options = options;
  }

  enqueue(job: BackfillJob): void {
    const key = keyOf(job.scope, job.image.id);
    if (this.#closed || this.#pending.has(key) || this.#queue.length >= this.#options.queueLength) return;
    const failedAt = this.#failedAt.get(key);
    if (failedAt !== undefined && Date.now() - failedAt < RETRY_AFTER_FAILURE_MS) return;
    this.#pending.add(key);
    this.#queue.push(job);
    this.#pump();
  }

  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
    this.#wake?.abort();
  }

  #pump(): void {
    while (!this.#closed && this.#running < this.#options.concurrency && this.#queue.length > 0) {
      if (Date.now() < this.#pausedUntil) {
        this.#sleepUntilBudget();
        return;
      }
      const job = this.#queue.shift() as BackfillJob;
      this.#running += 1;
      void this.#process(job).finally(() => {
        this.#running -= 1;
        this.#pump();
        this.#settleIdle();
      });
    }
  }

  #sleepUntilBudget(): void {
    if (this.#wake) return;
    const wake = new AbortController();
    this.#wake = wake;
    // Not keeping the process alive: a server that is closing does not wait for the backfill.
    void sleep(this.#pausedUntil - Date.now(), undefined, { ref: false, signal: wake.signal })
      .catch(() => undefined)
      .finally(() => {
        this.#wake = undefined;
        this.#pump();
      });
  }

  async #process(job: BackfillJob): Promise<void> {
    const { store, budget, limits } = this.#options;
    const { scope, image } = job;
    const key = keyOf(scope, image.id);
    let requeued = false;
    try {
      const known = await store.getMany(scope, [image.id]);
      if (known.has(image.id) || !(await store.claim(scope, image.id))) {
        this.counts.skipped += 1;
        return;
      }
      const wait = await budget.take();
      if (wait > 0) {
        // The share of this window is spent: the job waits at the head of the queue, unclaimed.
        await store.release(scope, image.id);
        this.#pausedUntil = Date.now() + wait * 1000;
        this.#queue.unshift(job);
        requeued = true;
        return;
      }
      let record: FactsRecord;
      try {
        this.counts.downloads += 1;
        const answer = await job.download(image.id);
        const file = await collectStream(answer.body, limits.maxBytes);
        record =
          "tooLarge" in file
            ? { status: "FAILED", reason: `The stored file is larger than ${limits.maxBytes} bytes.` }
            : await computeFacts(file.bytes, file.contentHash, limits);
      } catch {
        // Gone, refused or unreachable: nothing is kept, and a later read tries again.
        await store.release(scope, image.id);
        this.#rememberFailure(key);
        return;
      }
      await store.put(scope, image.id, record);
      this.counts.computed += 1;
      this.#options.onKnown(scope, image, record);
    } finally {
      if (!requeued) this.#pending.delete(key);
    }
  }

  #rememberFailure(key: string): void {
    if (this.#failedAt.size >= this.#options.queueLength) this.#failedAt.clear();
    this.#failedAt.set(key, Date.now());
  }

  #settleIdle(): void {
    if (this.#pending.size > 0 && !this.#closed) return;
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
