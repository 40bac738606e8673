import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { Catalogue } from "../catalogue/catalogue.ts";
import type { CatalogueFilter } from "../catalogue/model.ts";
import type { CatalogueStore } from "../catalogue/store.ts";
import type { JobsConfig } from "../config/index.ts";
import { inputError, policyError } from "../errors.ts";
import type { CloudflareImagesApi } from "../upstream/index.ts";
import type { Writes } from "../writes/index.ts";
import { FINAL_STATES, type ImportItem, type ItemFailure, type Job, type Operation } from "./model.ts";
import { PostgresJobStore } from "./postgres-job-store.ts";
import { JobRunner } from "./runner.ts";
import { emptySelection, type Selection, selectFilter, selectIds, tooMany } from "./selection.ts";
import { SqliteJobStore } from "./sqlite-job-store.ts";
import type { JobKeyset, JobStore } from "./store.ts";

/** Where the catalogue keeps its data: jobs live beside it, or nowhere (in memory). */
export interface DurableStore {
  readonly dir: string | undefined;
  readonly databaseUrl: string | undefined;
}

export interface BulkJobsOptions {
  readonly config: JobsConfig;
  /** Absent where there is no catalogue at all (the bench's framework floor): no jobs then. */
  readonly catalogue: Catalogue | undefined;
  readonly durable: DurableStore;
  /** Forward mode: callers bring their own tokens, which a job would have to keep; no jobs then. */
  readonly forwardMode: boolean;
  readonly writes: Writes;
  readonly apiFor: (tenant: string, signal: AbortSignal) => CloudflareImagesApi;
  readonly logger: Logger;
}

/** The selection of a delete or update job. */
export type Target = { readonly imageIds: readonly string[] } | { readonly filter: CatalogueFilter };

/** A job as created, or (`dryRun`) what it would touch. */
export interface Planned {
  readonly job: Job | undefined;
  readonly matched: number;
  readonly selection: Selection;
}

const SAMPLE_SIZE = 10;
/** How often a progress subscription looks at its job: any replica may be running it. */
const PROGRESS_POLL_MS = 250;

/**
 * Bulk jobs (DESIGN §12): made by the mutations, stored with their items beside the catalogue,
 * run by this process's runner (and every other replica's, on PostgreSQL).
 */
export class BulkJobs {
  readonly #options: BulkJobsOptions;
  #store: Promise<JobStore> | undefined;
  #runner: JobRunner | undefined;
  #closed = false;

  constructor(options: BulkJobsOptions) {
    this.#options = options;
  }

  /** Opens the store once the catalogue's migrations (jobs' tables among them) have run, then runs jobs. */
  start(): void {
    if (this.#refusal() || this.#store) return;
    const { catalogue, durable, logger } = this.#options;
    const catalogueStore = catalogue?.store as CatalogueStore;
    this.#store = (async () => {
      for (;;) {
        try {
          await catalogueStore.migrate();
          break;
        } catch (error) {
          if (this.#closed) throw error;
          logger.warn(
            { err: (error as Error).message },
            "bulk jobs: the catalogue's database is out of reach; retried",
          );
          await sleep(1000);
        }
      }
      const store: JobStore = durable.databaseUrl
        ? new PostgresJobStore(durable.databaseUrl, {
            onError: (error) => logger.warn({ err: error.message }, "bulk jobs: PostgreSQL connection lost"),
          })
        : new SqliteJobStore(join(durable.dir as string, "catalogue.sqlite"));
      if (this.#closed) {
        await store.close();
        return store;
      }
      this.#runner = new JobRunner({
        store,
        writes: this.#options.writes,
        apiFor: this.#options.apiFor,
        settings: this.#options.config,
        logger,
      });
      this.#runner.start();
      return store;
    })();
    this.#store.catch(() => undefined);
  }

  async deleteImages(tenant: string, target: Target, dryRun: boolean): Promise<Planned> {
    return this.#plan(tenant, { kind: "DELETE" }, await this.#select(target), dryRun);
  }

  async updateImages(
    tenant: string,
    target: Target,
    set: Extract<Operation, { kind: "UPDATE" }>["set"],
    dryRun: boolean,
  ): Promise<Planned> {
    return this.#plan(tenant, { kind: "UPDATE", set }, await this.#select(target), dryRun);
  }

  async importImages(tenant: string, items: readonly ImportItem[], dryRun: boolean): Promise<Planned> {
    this.#assertAvailable();
    const { maxItems } = this.#options.config;
    if (items.length === 0) throw emptySelection();
    if (items.length > maxItems) throw tooMany(items.length, maxItems);
    const seen = new Set<string>();
    for (const [index, item] of items.entries()) {
      if (item.id === undefined) continue;
      if (seen.has(item.id)) {
        throw inputError(`items[${index}].id: "${item.id}" is given twice.`, { argument: `input.items.${index}.id` });
      }
      seen.add(item.id);
    }
    const selection: Selection = {
      items: items.map((importItem) => ({ imageId: importItem.id ?? null, importItem, known: false })),
      sample: [],
    };
    return this.#plan(tenant, { kind: "IMPORT" }, selection, dryRun);
  }

  async get(tenant: string, id: string): Promise<Job | undefined> {
    if (this.#refusal()) return undefined;
    return (await this.#ready()).get(tenant, id);
  }

  async list(tenant: string, limit: number, after?: JobKeyset): Promise<Job[]> {
    if (this.#refusal()) return [];
    return (await this.#ready()).list(tenant, limit, after);
  }

  async failures(job: Job, limit: number, afterPosition?: number): Promise<ItemFailure[]> {
    return (await this.#ready()).failures(job.id, limit, afterPosition);
  }

  /** Cancelling a finished job changes nothing: the job is answered as it is. */
  async cancel(tenant: string, id: string): Promise<Job | undefined> {
    this.#assertAvailable();
    return (await this.#ready()).cancel(tenant, id, new Date());
  }

  /** The job now, then each time its counts or state change, until it is finished (or the caller leaves). */
  async *progress(tenant: string, id: string, signal?: AbortSignal): AsyncGenerator<Job> {
    let last = "";
    while (!this.#closed && !signal?.aborted) {
      const job = await this.get(tenant, id);
      if (!job) return;
      const seen = `${job.state} ${job.done} ${job.failed} ${job.skipped}`;
      if (seen !== last) {
        last = seen;
        yield job;
      }
      if (FINAL_STATES.has(job.state)) return;
      await sleep(PROGRESS_POLL_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const store = await this.#store?.catch(() => undefined);
    await this.#runner?.close();
    await store?.close();
  }

  async #select(target: Target): Promise<Selection> {
    const catalogue = this.#assertAvailable();
    const { maxItems } = this.#options.config;
    if ("imageIds" in target) return selectIds(catalogue, target.imageIds, maxItems);
    if (this.#options.catalogue?.status() !== "READY") {
      throw policyError("upstreamUnavailable", "The catalogue is still reading the account's images; retry shortly.", {
        extensions: { reason: "CATALOGUE_SYNCING", retryAfter: 5 },
      });
    }
    return selectFilter(catalogue, target.filter, maxItems, SAMPLE_SIZE);
  }

  async #plan(tenant: string, operation: Operation, selection: Selection, dryRun: boolean): Promise<Planned> {
    const matched = selection.items.length;
    if (dryRun) return { job: undefined, matched, selection };
    const store = await this.#ready();
    const id = randomUUID();
    await store.create({ id, tenant, operation, items: selection.items, createdAt: new Date() });
    this.#runner?.kick();
    return { job: await store.get(tenant, id), matched, selection };
  }

  #ready(): Promise<JobStore> {
    this.start();
    return this.#store as Promise<JobStore>;
  }

  #assertAvailable(): CatalogueStore {
    const refusal = this.#refusal();
    if (refusal) throw refusal;
    return this.#options.catalogue?.store as CatalogueStore;
  }

  /** Why no job can be accepted here, if none can: an accepted job must never be lost. */
  #refusal(): Error | undefined {
    const { catalogue, durable, forwardMode } = this.#options;
    if (forwardMode) {
      return inputError(
        "Bulk jobs are off in forward mode: a job would have to keep the caller's Cloudflare token to run later.",
        { reason: "BULK_JOBS_OFF" },
      );
    }
    if (!catalogue?.store || (durable.dir === undefined && durable.databaseUrl === undefined)) {
      return inputError(
        "Bulk jobs need a durable store: set CATALOGUE_DIR (an SQLite file) or DATABASE_URL (PostgreSQL), with the catalogue on. With only the in-memory catalogue an accepted job could be lost.",
        { reason: "BULK_JOBS_NEED_DURABLE_STORE" },
      );
    }
    return undefined;
  }
}
