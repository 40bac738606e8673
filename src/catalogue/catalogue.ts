import type { Logger } from "pino";
import type { CatalogueConfig } from "../config/index.ts";
import { policyError } from "../errors.ts";
import { type CloudflareImagesApi, type Image, UpstreamError } from "../upstream/index.ts";
import type { ChangeEvents, ImageChangeEvent } from "../writes/change-events.ts";
import type { DuplicateKeyset } from "./facts-model.ts";
import type { CatalogueFilter, PageRequest, SyncState, Tenant } from "./model.ts";
import { PostgresCatalogueStore } from "./postgres-store.ts";
import { type ChangeRelay, createChangeRelay } from "./redis-relay.ts";
import { SqliteCatalogueStore } from "./sqlite-store.ts";
import type { CatalogueStore } from "./store.ts";
import { type DeltaResult, delta, type SweepResult, sweep } from "./sync.ts";

export type CatalogueStatus = "OFF" | "SYNCING" | "READY";

/** The only index kept: the server's own token's (see `Catalogue`). */
const SERVER_TENANT: Tenant = "";
/** While the index is not ready, or its store is out of reach: how soon to look again. */
const RETRY_SECONDS = 5;
/** While not ready: how often to look whether another replica completed the index, or the store is back. */
const CHECK_MS = 1000;
const DELTA_PAGE = 100;
const DELTA_MAX_PAGES = 20;

export interface CatalogueEvents {
  onSweep?(result: SweepResult): void;
  onDelta?(result: DeltaResult, durationMs: number): void;
  onWriteApplied?(durationMs: number): void;
  /** A query answered from the index (for the request log). */
  onQuery?(): void;
}

export interface CatalogueOptions {
  config: CatalogueConfig;
  /** The server's own api, bound to no request: sync reads are never charged to a caller. */
  api: CloudflareImagesApi;
  /** In `forward` mode callers bring their own tokens: the catalogue stays off (see below). */
  forwardMode: boolean;
  logger: Logger;
  changes: ChangeEvents;
  events?: CatalogueEvents;
  /** With the embedded store: replicas on this Redis apply each other's writes (see redis-relay.ts). */
  relay?: { redisUrl: string; accountId: string };
}

/**
 * The account's index (DESIGN §10): a store, kept in step by sweeps, deltas and our own writes.
 *
 * One index, the server token's. In `forward` mode the catalogue is off: an index per caller token
 * would have to be swept with that token in the background, i.e. the server would keep callers'
 * credentials beyond their requests, and an index for a token nobody uses any more could never be
 * refreshed. Catalogue-only arguments then get `BAD_USER_INPUT` (`reason: CATALOGUE_OFF`).
 */
export class Catalogue {
  readonly #options: CatalogueOptions;
  readonly #store: CatalogueStore | undefined;
  #state: SyncState = { complete: false, syncedAt: null, lastSweep: null };
  /** False after the store failed a call, until one succeeds: queries get a typed error meanwhile. */
  #reachable = true;
  #migrated = false;
  #timers: NodeJS.Timeout[] = [];
  #running: Promise<unknown> | undefined;
  #closed = false;
  #unsubscribe: (() => void) | undefined;
  #relay: ChangeRelay | undefined;

  constructor(options: CatalogueOptions) {
    this.#options = options;
    const { config } = options;
    if (!config.enabled || options.forwardMode) return;
    this.#store = config.databaseUrl
      ? new PostgresCatalogueStore(config.databaseUrl, {
          onError: (error) => options.logger.warn({ err: error.message }, "catalogue: PostgreSQL connection lost"),
        })
      : new SqliteCatalogueStore(config.dir);
    if (options.relay && !config.databaseUrl) {
      this.#relay = createChangeRelay(options.relay.redisUrl, options.relay.accountId, (event) =>
        this.#applyLocally(event),
      );
    }
    this.#unsubscribe = options.changes.on(async (event) => {
      await this.#applyLocally(event);
      if (event.tenant === SERVER_TENANT) this.#relay?.publish(event);
    });
  }

  get store(): CatalogueStore | undefined {
    return this.#store;
  }

  get enabled(): boolean {
    return this.#store !== undefined;
  }

  status(): CatalogueStatus {
    if (!this.#store) return "OFF";
    return this.#state.complete && this.#reachable && this.#migrated ? "READY" : "SYNCING";
  }

  syncState(): SyncState {
    return this.#state;
  }

  /** Opens the store, then sweeps and deltas on their timers; never throws (failures are retried). */
  start(): void {
    if (!this.#store || this.#timers.length > 0) return;
    const { sweepMinutes, deltaSeconds } = this.#options.config;
    void this.#tick("sweep");
    this.#every(sweepMinutes * 60_000, () => this.#tick("sweep"));
    if (deltaSeconds > 0) this.#every(deltaSeconds * 1000, () => this.#tick("delta"));
    // Until the index is ready (another replica may be sweeping it), or while its store is unreachable.
    this.#every(CHECK_MS, () => (this.status() === "READY" ? undefined : this.#tick("check")));
  }

  /** Sweeps now, however recent the last sweep (tests and the bench), after a step already running. */
  async sweepNow(): Promise<SweepResult | undefined> {
    await this.#running;
    return (await this.#tick("sweep-now")) as SweepResult | undefined;
  }

  /** A write of ours (or, through Redis, another replica's), applied before the mutation answers. */
  async #applyLocally(event: ImageChangeEvent): Promise<void> {
    const store = this.#store;
    if (!store || event.tenant !== SERVER_TENANT) return;
    const started = performance.now();
    try {
      if (event.kind === "deleted") {
        await store.remove(SERVER_TENANT, event.imageId);
        // Also when another replica deleted it (the relay): a custom id may later name other bytes.
        await store.facts.forget(SERVER_TENANT, event.imageId);
      } else if (event.image && !event.image.draft)
        await store.write(SERVER_TENANT, event.image, event.previousImageId);
      else if (event.previousImageId) await store.remove(SERVER_TENANT, event.previousImageId);
      this.#reachable = true;
      this.#options.events?.onWriteApplied?.(performance.now() - started);
    } catch (error) {
      // The write succeeded upstream; the next sweep brings the index in line. The answer is not failed for it.
      this.#unreachable(error);
    }
  }

  async page(request: PageRequest): Promise<Image[]> {
    const store = this.#ready();
    this.#options.events?.onQuery?.();
    return this.#guard(() => store.page(SERVER_TENANT, request));
  }

  async count(filter: CatalogueFilter): Promise<number> {
    const store = this.#ready();
    this.#options.events?.onQuery?.();
    return this.#guard(() => store.count(SERVER_TENANT, filter));
  }

  /** The typed refusal of `#ready` for callers that need the index READY before they start. */
  requireReady(): void {
    this.#ready();
  }

  /** Groups of images holding the same bytes (by their facts), most wasted bytes first. */
  async duplicates(request: { after?: DuplicateKeyset; limit: number; imagesPerGroup: number }) {
    const store = this.#ready();
    this.#options.events?.onQuery?.();
    return this.#guard(() => store.facts.duplicates(SERVER_TENANT, request));
  }

  /** The image of the index already holding these bytes (an upload with `dedupe`). */
  async imageWithHash(contentHash: string): Promise<Image | undefined> {
    const store = this.#ready();
    this.#options.events?.onQuery?.();
    return this.#guard(() => store.facts.imageWithHash(SERVER_TENANT, contentHash));
  }

  /** Every image of the index, for `catalogue { images }`; null when it cannot be counted now. */
  async size(): Promise<number | null> {
    if (!this.#store || !this.#migrated) return null;
    try {
      const n = await this.#store.count(SERVER_TENANT, {});
      this.#reachable = true;
      return n;
    } catch (error) {
      this.#unreachable(error);
      return null;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#unsubscribe?.();
    this.#relay?.close();
    await this.#running?.catch(() => undefined);
    await this.#store?.close();
  }

  /** The typed refusal for catalogue-only arguments while the index cannot serve them. */
  #ready(): CatalogueStore {
    const store = this.#store;
    if (!store) {
      throw policyError(
        "input",
        this.#options.forwardMode
          ? "Search, sorting and counts need the catalogue, which is off in forward mode (each caller brings its own token)."
          : "Search, sorting and counts need the catalogue, which is off (CATALOGUE=off).",
        { extensions: { reason: "CATALOGUE_OFF" } },
      );
    }
    // Complete but unreachable: the store is tried again (recovery without a restart), see #guard.
    if (!(this.#state.complete && this.#migrated)) {
      throw policyError("upstreamUnavailable", "The catalogue is still reading the account's images; retry shortly.", {
        extensions: { reason: "CATALOGUE_SYNCING", retryAfter: RETRY_SECONDS },
      });
    }
    return store;
  }

  /** A store failure (PostgreSQL down) is a typed error; the next call tries the store again. */
  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.#reachable = true;
      return result;
    } catch (error) {
      if (error instanceof Error && "extensions" in error) throw error;
      this.#unreachable(error);
      throw policyError("upstreamUnavailable", "The catalogue's database cannot be reached; retry shortly.", {
        extensions: { reason: "CATALOGUE_UNAVAILABLE", retryAfter: RETRY_SECONDS },
      });
    }
  }

  #unreachable(error: unknown): void {
    if (this.#reachable) {
      this.#options.logger.warn(
        { err: (error as Error).message },
        "catalogue: its store cannot be reached; retried every second",
      );
    }
    this.#reachable = false;
  }

  #every(ms: number, run: () => unknown): void {
    const timer = setInterval(run, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  /** One sync step at a time in this process; a step due while another runs is skipped. */
  #tick(kind: Step): Promise<unknown> {
    if (this.#running || this.#closed) return Promise.resolve(undefined);
    const step = this.#step(kind).finally(() => {
      this.#running = undefined;
    });
    this.#running = step;
    return step;
  }

  async #step(kind: Step): Promise<unknown> {
    const store = this.#store;
    if (!store) return undefined;
    const { config, api, logger, events } = this.#options;
    try {
      if (!this.#migrated) {
        await store.migrate();
        this.#migrated = true;
      }
      this.#state = await store.syncState(SERVER_TENANT);
      this.#reachable = true;
      let result: unknown;
      if (kind === "sweep" || kind === "sweep-now" || (kind === "check" && !this.#state.complete)) {
        const swept = await sweep(store, api, SERVER_TENANT, {
          perPage: config.sweepPageSize,
          // Another replica's sweep within most of the interval counts as this one's.
          skipIfSweptWithinMs: kind === "sweep" && this.#state.complete ? config.sweepMinutes * 45_000 : 0,
          stopped: () => this.#closed,
        });
        if (swept) {
          logger.info({ catalogue: swept }, "catalogue: sweep done");
          events?.onSweep?.(swept);
        }
        result = swept;
      } else if (kind === "delta" && this.#state.complete) {
        const started = performance.now();
        const found = await delta(store, api, SERVER_TENANT, { perPage: DELTA_PAGE, maxPages: DELTA_MAX_PAGES });
        events?.onDelta?.(found, performance.now() - started);
        if (found.overflowed) {
          this.#running = undefined;
          return this.#step("sweep");
        }
        result = found;
      }
      this.#state = await store.syncState(SERVER_TENANT);
      return result;
    } catch (error) {
      // The store's failures are logged once until it answers again (see #unreachable); the upstream's each time.
      if (isUpstreamError(error)) {
        logger.warn({ err: (error as Error).message, step: kind }, "catalogue: sync step failed; retried later");
      } else this.#unreachable(error);
      return undefined;
    }
  }
}

type Step = "sweep" | "sweep-now" | "delta" | "check";

function isUpstreamError(error: unknown): boolean {
  return error instanceof UpstreamError;
}
