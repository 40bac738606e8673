import { setTimeout as sleep } from "node:timers/promises";
import DataLoader from "dataloader";
import type { FactsConfig } from "../config/facts.ts";
import type { StreamedAnswer } from "../upstream/http-types.ts";
import type { Image } from "../upstream/index.ts";
import type { ChangeListener } from "../writes/index.ts";
import { FactsBackfill } from "./backfill.ts";
import { FactsBudget } from "./budget-share.ts";
import type { CollectedFile } from "./collect.ts";
import { computeFacts } from "./decode.ts";
import type { FactsRecord } from "./facts.ts";
import { LayeredFactsStore } from "./layered-store.ts";
import { RedisFactsStore } from "./redis-store.ts";
import { type FactsStore, InProcessFactsStore } from "./store.ts";

export type { FactsConfig } from "../config/facts.ts";
export type { CollectedFile } from "./collect.ts";
export { collectWhilePassing } from "./collect.ts";
export type { FactsRecord, ImageFacts, Placeholder, SourceFormat } from "./facts.ts";
export { aspectRatioOf, SOURCE_FORMATS } from "./facts.ts";
export type { FactsStore } from "./store.ts";

/** An upload's answer waits this long at most for its facts; past it they are kept when done. */
const UPLOAD_FACTS_WAIT_MS = 3_000;

export interface FactsDependencies {
  accountId: string;
  /** Shared store and claims for every replica; absent: this process alone. */
  redisUrl?: string | undefined;
  budget: { limit: number; windowSeconds: number; replicas: number };
  /**
   * A store other than the default: the catalogue's, when it is on. `shared`: every replica uses it
   * (PostgreSQL); otherwise (node:sqlite) it is layered under Redis when there is one.
   */
  store?: { store: FactsStore; shared: boolean } | undefined;
  /** Facts of an image became known. */
  onKnown(image: Image): void;
}

/** Image facts for one app: the store, the backfill, and a view per request. */
export interface Facts {
  readonly store: FactsStore;
  readonly backfill: FactsBackfill;
  readonly budget: FactsBudget;
  forRequest(binding: RequestFactsBinding): RequestFacts;
  /**
   * Consumes the write path's change events: a deleted image's facts are dropped (a custom id may
   * later name other bytes); an image given a new id keeps its facts under it (same bytes).
   * Uploads bring their own facts (`fromUpload`), so "created" needs nothing here.
   */
  readonly onImageChange: ChangeListener;
  close(): Promise<void>;
}

export interface RequestFactsBinding {
  /** Whose view of the account: a digest of the caller's token in `forward` mode, "" for the server's. */
  tenant: string;
  /** Reads an image's stored bytes for the backfill, with the request's credential but not its signal. */
  download(imageId: string): Promise<StreamedAnswer>;
}

export function createFacts(config: FactsConfig, deps: FactsDependencies): Facts {
  const redis = () =>
    deps.redisUrl
      ? new RedisFactsStore({ redisUrl: deps.redisUrl, accountId: deps.accountId, claimSeconds: config.claimSeconds })
      : undefined;
  let store: FactsStore;
  if (!deps.store) store = redis() ?? new InProcessFactsStore(config);
  else if (deps.store.shared) store = deps.store.store;
  else {
    const shared = redis();
    store = shared ? new LayeredFactsStore(deps.store.store, shared) : deps.store.store;
  }
  const budget = new FactsBudget({
    ...deps.budget,
    share: config.budgetShare,
    accountId: deps.accountId,
    redisUrl: deps.redisUrl,
  });
  const backfill = new FactsBackfill({
    store,
    budget,
    concurrency: config.concurrency,
    queueLength: config.queueLength,
    limits: config.limits,
    onKnown: (_scope, image) => deps.onKnown(image),
  });
  return {
    store,
    backfill,
    budget,
    forRequest: (binding) => new RequestFacts(config, store, backfill, deps.onKnown, binding),
    onImageChange: async (event) => {
      const scope = scopeOf(event.tenant);
      if (event.kind === "deleted") await store.forget(scope, event.imageId);
      if (event.kind === "updated" && event.previousImageId && event.previousImageId !== event.imageId) {
        const record = (await store.getMany(scope, [event.previousImageId])).get(event.previousImageId);
        if (record) await store.put(scope, event.imageId, record);
        await store.forget(scope, event.previousImageId);
      }
    },
    close: async () => {
      backfill.close();
      budget.close();
      await store.close();
    },
  };
}

/** Facts are kept apart per upstream credential, as the entity cache keeps its entries. */
function scopeOf(tenant: string): string {
  return tenant || "server";
}

/** What resolvers use: the facts of the images a request shows, and those of an upload it makes. */
export class RequestFacts {
  readonly #config: FactsConfig;
  readonly #store: FactsStore;
  readonly #backfill: FactsBackfill;
  readonly #onKnown: (image: Image) => void;
  readonly #binding: RequestFactsBinding;
  readonly #scope: string;
  /** Not cached by id: an image object seen again (a subscription's next event) reads afresh. */
  readonly #batch: DataLoader<string, FactsRecord | undefined>;
  readonly #byImage = new WeakMap<Image, Promise<FactsRecord | undefined>>();

  constructor(
    config: FactsConfig,
    store: FactsStore,
    backfill: FactsBackfill,
    onKnown: (image: Image) => void,
    binding: RequestFactsBinding,
  ) {
    this.#config = config;
    this.#store = store;
    this.#backfill = backfill;
    this.#onKnown = onKnown;
    this.#binding = binding;
    this.#scope = scopeOf(binding.tenant);
    this.#batch = new DataLoader(
      async (ids) => {
        const found = await this.#store.getMany(this.#scope, ids);
        return ids.map((id) => found.get(id));
      },
      { cache: false },
    );
  }

  /** The image's facts when known; when not, its computation is queued and undefined is answered at once. */
  load(image: Image): Promise<FactsRecord | undefined> {
    let pending = this.#byImage.get(image);
    if (!pending) {
      pending = this.#batch.load(image.id).then((record) => {
        if (!record && !image.draft) {
          const { download } = this.#binding;
          this.#backfill.enqueue({ scope: this.#scope, image, download });
        }
        return record;
      });
      this.#byImage.set(image, pending);
    }
    return pending;
  }

  /**
   * The bytes an upload passed on, once the upstream gave them an id: their facts are computed
   * and kept. Waits a bounded time, so the upload's own answer can show them.
   */
  async fromUpload(image: Image, collected: Promise<CollectedFile | undefined>): Promise<void> {
    const work = (async () => {
      const file = await collected;
      if (!file) return;
      const record = await computeFacts(file.bytes, file.contentHash, this.#config.limits);
      await this.#store.put(this.#scope, image.id, record);
      this.#onKnown(image);
    })();
    await Promise.race([work.catch(() => undefined), sleep(UPLOAD_FACTS_WAIT_MS, undefined, { ref: false })]);
  }
}
