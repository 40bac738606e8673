import { setTimeout as sleep } from "node:timers/promises";
import type { GraphQLError } from "graphql";
import { notFoundError } from "../errors.ts";
import { type CloudflareImagesApi, classifyUpstreamFailure, type Image } from "../upstream/index.ts";

/** The upstream's longest upload-URL lifetime: a draft created elsewhere expires by then at the latest. */
const MAX_DRAFT_LIFETIME_MS = 6 * 3_600_000;
/** Expiries remembered from this replica's own `createDirectUpload` answers, at most. */
const MAX_KNOWN_EXPIRIES = 10_000;
const BACKOFF = 1.5;

export type DraftOutcome = { image: Image } | { error: GraphQLError | Error };

export interface DraftWatchOptions {
  intervalMs: number;
  maxIntervalMs: number;
  now?: () => number;
  /**
   * Told once per loop when a draft it saw turn ready (a loop that first finds the image ready
   * says nothing), before the loop's subscribers hear of it. `key` is the watch's credential key.
   */
  onDraftReady?: (key: string, image: Image) => void | Promise<void>;
}

interface Loop {
  readonly listeners: Set<(outcome: DraftOutcome) => void>;
  readonly controller: AbortController;
}

/**
 * Watches direct-upload drafts until they become images. One poll loop per draft (and upstream
 * token) serves every subscriber to it; it looks once at once, then waits `intervalMs`, growing
 * by half each time up to `maxIntervalMs`, so a draft never costs more than one call per interval
 * however many clients wait for it. It stops at the first outcome, at the upload URL's expiry,
 * or as soon as its last subscriber leaves (aborting a call in flight).
 */
export class DraftWatch {
  readonly #options: DraftWatchOptions;
  readonly #now: () => number;
  readonly #loops = new Map<string, Loop>();
  readonly #expiries = new Map<string, number>();

  constructor(options: DraftWatchOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Poll loops running now. */
  get activeLoops(): number {
    return this.#loops.size;
  }

  /** The expiry this replica set on a draft, which the image record does not carry. */
  rememberExpiry(imageId: string, expiresAt: Date): void {
    if (this.#expiries.size >= MAX_KNOWN_EXPIRIES) {
      const now = this.#now();
      for (const [id, at] of this.#expiries) if (at < now) this.#expiries.delete(id);
      // Still full: forget the oldest; its watchers fall back to the upstream's longest lifetime.
      if (this.#expiries.size >= MAX_KNOWN_EXPIRIES) this.#expiries.delete(this.#expiries.keys().next().value ?? "");
    }
    this.#expiries.set(imageId, expiresAt.getTime());
  }

  /**
   * Calls `listener` once with the outcome. `key` separates upstream tokens (forward mode), so a
   * caller never shares a loop that reads with someone else's token. Returns the way to leave.
   */
  watch(key: string, imageId: string, api: CloudflareImagesApi, listener: (outcome: DraftOutcome) => void): () => void {
    const loopKey = `${key}\u0000${imageId}`;
    let loop = this.#loops.get(loopKey);
    if (!loop) {
      const started: Loop = { listeners: new Set(), controller: new AbortController() };
      loop = started;
      this.#loops.set(loopKey, started);
      void this.#run(key, imageId, api, started.controller.signal).then((outcome) => {
        if (this.#loops.get(loopKey) === started) this.#loops.delete(loopKey);
        if (!outcome) return;
        if ("image" in outcome) this.#expiries.delete(imageId);
        for (const notify of started.listeners) notify(outcome);
        started.listeners.clear();
      });
    }
    const current = loop;
    current.listeners.add(listener);
    return () => {
      if (!current.listeners.delete(listener) || current.listeners.size > 0) return;
      current.controller.abort();
      if (this.#loops.get(loopKey) === current) this.#loops.delete(loopKey);
    };
  }

  async #tellReady(key: string, image: Image): Promise<void> {
    try {
      await this.#options.onDraftReady?.(key, image);
    } catch {
      // Its own failure to report: the subscribers still hear of the image, and the loop never rejects.
    }
  }

  /** Resolves with the outcome, or undefined once aborted. Never rejects. */
  async #run(
    key: string,
    imageId: string,
    api: CloudflareImagesApi,
    signal: AbortSignal,
  ): Promise<DraftOutcome | undefined> {
    let interval = this.#options.intervalMs;
    let seenDraft = false;
    let expiresAt = this.#expiries.get(imageId);
    while (!signal.aborted) {
      let wait = interval;
      try {
        const image = await api.images.get(imageId, { signal });
        if (!image.draft) {
          if (seenDraft) await this.#tellReady(key, image);
          return { image };
        }
        seenDraft = true;
        expiresAt ??= (image.uploaded?.getTime() ?? this.#now()) + MAX_DRAFT_LIFETIME_MS;
        const left = expiresAt - this.#now();
        if (left <= 0) return { error: expired(imageId, expiresAt) };
        // One last look right at the expiry, in case the file arrived just before it.
        wait = Math.min(interval, left + 1);
      } catch (error) {
        if (signal.aborted) return undefined;
        const failure = classifyUpstreamFailure(error);
        // The upstream forgets a draft whose upload URL expired.
        if (failure?.kind === "notFound") {
          return { error: seenDraft ? expired(imageId, expiresAt) : noSuchImage(imageId) };
        }
        if (failure?.kind === "rateLimited") {
          wait = Math.max(interval, failure.retryAfter * 1000);
        } else if (failure?.kind !== "unavailable" && failure?.kind !== "failed") {
          return { error: error as Error };
        }
        // Passing trouble: keep waiting, with the same growing interval.
      }
      try {
        await sleep(wait, undefined, { signal });
      } catch {
        return undefined;
      }
      interval = Math.min(interval * BACKOFF, this.#options.maxIntervalMs);
    }
    return undefined;
  }
}

function expired(imageId: string, expiresAt: number | undefined): GraphQLError {
  return notFoundError("The upload URL expired before a file arrived; create a new direct upload.", {
    reason: "UPLOAD_EXPIRED",
    imageId,
    ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt).toISOString() }),
  });
}

function noSuchImage(imageId: string): GraphQLError {
  return notFoundError("No image or direct-upload draft has this id.", { imageId });
}
