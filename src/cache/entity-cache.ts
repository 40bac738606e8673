import { LRUCache } from "lru-cache";
import type { CacheConfig, EntityKind } from "../config/cache.ts";
import { LocalVersions } from "./local-versions.ts";
import type { RedisLevel } from "./redis-level.ts";
import { Snapshot, type Stamp, sameStamp } from "./snapshot.ts";

/** How one entry is kept: its kind, its key within the kind, and the versions it depends on. */
export interface EntrySpec<T> {
  readonly kind: EntityKind;
  readonly key: string;
  readonly deps: readonly string[];
  /**
   * What else a value depends on, known once it is read (a list page: each image on it), so that a
   * write ends only the entries holding what it changed.
   */
  valueDeps?(value: T): readonly string[];
  /**
   * Bumped by every write that `valueDeps` would name: a read during which one changed is not kept,
   * since its value may predate a write whose version the read can only take afterwards.
   */
  readonly guardDeps?: readonly string[];
  /** Also kept in Redis (never for what holds a secret). */
  readonly shared: boolean;
  /** How long this value stays fresh; 0: not kept at all. */
  ttlMs(value: T): number;
  /** The value again from its JSON (dates come back as strings). */
  decode(json: unknown): T;
}

export type CacheLevel = "local" | "shared" | "upstream";

export type CacheEvent =
  | { type: "lookup"; kind: EntityKind; outcome: "hit" | "stale" | "miss"; level: CacheLevel }
  /** `dependency`: the family of what a write changed (`image`, `imageList`, `variants`, …). */
  | { type: "invalidation"; dependency: string };

/** What reads of one request share: whose data, and whether it asked to read through. */
export interface ReadScope {
  /** Entries of one tenant are never served to another (forward mode: the token's fingerprint). */
  readonly tenant: string;
  /** `Cache-Control: no-cache`: fetch anew, and keep what comes back. */
  readonly readThrough: boolean;
}

/** A value a read also brings, kept under its own spec (a list page's images). */
export interface Primed {
  readonly spec: EntrySpec<unknown>;
  readonly value: unknown;
}

/** What the cache adds to an upstream read: a signal of its own for refreshes, and its versions as the tag. */
export interface LoadCall {
  readonly signal?: AbortSignal;
  readonly coalesceTag: string;
}

export type Load<T> = (call: LoadCall) => Promise<T>;

interface LocalEntry {
  readonly value: unknown;
  /** The spec's deps and the value's own: what `stamp` is the versions of. */
  readonly deps: readonly string[];
  readonly stamp: Stamp;
  /** When the shared level last confirmed it (or when it was read). */
  validatedAt: number;
  readonly freshUntil: number;
  readonly staleUntil: number;
  readonly size: number;
}

interface SharedEntry {
  /** The shared stamp it was read at. */
  s: string;
  f: number;
  x: number;
  /** The value's own deps, when it has some. */
  d?: string[];
  v: unknown;
}

// A refresh outlives the request that noticed the stale entry; the transport's deadline still bounds it.
const DETACHED = new AbortController().signal;

/**
 * Entities across requests: an in-process LRU in front of an optional Redis level. An entry is
 * served only while the versions it was read at are current, so a write that bumps them ends it
 * at once for every reader; past its freshness it is served stale while one refresh runs.
 */
export class EntityCache {
  readonly #config: CacheConfig;
  readonly #entries: LRUCache<string, LocalEntry>;
  readonly #versions = new LocalVersions();
  readonly #redis: RedisLevel | undefined;
  readonly #onEvent: (event: CacheEvent) => void;
  readonly #refreshing = new Set<string>();

  constructor(config: CacheConfig, redis: RedisLevel | undefined, onEvent: (event: CacheEvent) => void) {
    this.#config = config;
    this.#redis = redis;
    this.#onEvent = onEvent;
    this.#entries = new LRUCache({
      max: config.maxEntries,
      maxSize: config.maxBytes,
      sizeCalculation: (entry) => Math.max(1, entry.size),
    });
  }

  async read<T>(scope: ReadScope, spec: EntrySpec<T>, load: Load<T>, prime?: (value: T) => Primed[]): Promise<T> {
    const key = `${scope.tenant}:${spec.kind}:${spec.key}`;
    const guarded = [...spec.deps, ...(spec.guardDeps ?? [])];
    if (scope.readThrough) {
      this.#lookup(spec, "miss", "upstream");
      return this.#fetch(scope, key, spec, load, prime, await this.#snapshot(guarded));
    }
    const local = this.#entries.get(key);
    const redis = spec.shared ? this.#redis : undefined;
    // Asked in the same tick as the versions: one round trip for both.
    let sharedLookup = !local ? redis?.get(key) : undefined;
    const snapshot = await this.#snapshot(local ? [...local.deps, ...(spec.guardDeps ?? [])] : guarded);
    let stamp = snapshot.stampOf(local?.deps ?? spec.deps);
    const now = Date.now();
    if (local) {
      const state = this.#stateOf(local, stamp, now);
      if (state !== "gone") return this.#serve(scope, key, spec, load, prime, local.value as T, state, "local");
      this.#entries.delete(key);
      // Ended here, but another replica may already have read it again.
      if (typeof stamp.shared === "string") sharedLookup = redis?.get(key);
    }
    const sharedJson = sharedLookup && (await sharedLookup);
    const shared = sharedJson && parseShared(sharedJson);
    const sharedDeps = shared && shared.d !== undefined ? [...spec.deps, ...shared.d] : spec.deps;
    // A shared entry with deps of its own: their versions are asked for once its deps are known.
    if (shared) stamp = shared.d ? (await this.#snapshot(sharedDeps)).stampOf(sharedDeps) : snapshot.stampOf(spec.deps);
    if (shared && typeof stamp.shared === "string" && shared.s === stamp.shared && now < shared.x) {
      const value = spec.decode(shared.v);
      const size = (sharedJson as string).length;
      const entry = {
        value,
        deps: sharedDeps,
        stamp,
        validatedAt: now,
        freshUntil: shared.f,
        staleUntil: shared.x,
        size,
      };
      this.#keep(key, entry);
      const state = now < shared.f ? "fresh" : "stale";
      return this.#serve(scope, key, spec, load, prime, value, state, "shared");
    }
    this.#lookup(spec, "miss", "upstream");
    return this.#fetch(scope, key, spec, load, prime, snapshot);
  }

  /** Ends every entry that depends on `deps`, here and (when reachable) on every replica, before answering. */
  async invalidate(deps: readonly string[]): Promise<void> {
    const unique = [...new Set(deps)];
    this.#versions.bump(unique);
    for (const dep of unique) this.#onEvent({ type: "invalidation", dependency: dep.split(":")[0] ?? dep });
    await this.#redis?.bump(unique);
  }

  /** The in-process level's entries, and their JSON size in bytes. */
  size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#entries.calculatedSize };
  }

  close(): void {
    this.#redis?.close();
  }

  #serve<T>(
    scope: ReadScope,
    key: string,
    spec: EntrySpec<T>,
    load: Load<T>,
    prime: ((value: T) => Primed[]) | undefined,
    value: T,
    state: "fresh" | "stale",
    level: CacheLevel,
  ): T {
    this.#lookup(spec, state === "fresh" ? "hit" : "stale", level);
    if (state === "stale") this.#refresh(scope, key, spec, load, prime);
    return value;
  }

  #stateOf(entry: LocalEntry, stamp: Stamp, now: number): "fresh" | "stale" | "gone" {
    if (entry.stamp.local !== stamp.local) return "gone";
    if (stamp.shared === null) {
      // Other replicas' writes cannot be heard of now: serve only what was confirmed lately.
      if (now - entry.validatedAt >= this.#config.offlineTtlSeconds * 1000) return "gone";
    } else if (entry.stamp.shared !== stamp.shared) {
      return "gone";
    } else {
      entry.validatedAt = now;
    }
    if (now < entry.freshUntil) return "fresh";
    return now < entry.staleUntil ? "stale" : "gone";
  }

  #refresh<T>(scope: ReadScope, key: string, spec: EntrySpec<T>, load: Load<T>, prime?: (value: T) => Primed[]) {
    if (this.#refreshing.has(key)) return;
    this.#refreshing.add(key);
    void (async () => {
      try {
        const refresh: Load<T> = (call) => load({ ...call, signal: DETACHED });
        const guarded = [...spec.deps, ...(spec.guardDeps ?? [])];
        await this.#fetch(scope, key, spec, refresh, prime, await this.#snapshot(guarded));
      } catch {
        // The stale entry stays until its bound; the next read past it asks the upstream itself.
      } finally {
        this.#refreshing.delete(key);
      }
    })();
  }

  async #fetch<T>(
    scope: ReadScope,
    key: string,
    spec: EntrySpec<T>,
    load: Load<T>,
    prime: ((value: T) => Primed[]) | undefined,
    before: Snapshot,
  ): Promise<T> {
    const stamp = before.stampOf(spec.deps);
    const value = await load({ coalesceTag: `${stamp.local}/${stamp.shared}` });
    const writes: SharedWrite[] = [];
    const own = spec.valueDeps?.(value) ?? [];
    if (own.length === 0) this.#store(key, spec, value, spec.deps, before, writes);
    const primed = prime?.(value) ?? [];
    if (own.length > 0 || primed.length > 0) {
      const guarded = [...spec.deps, ...(spec.guardDeps ?? [])];
      const more = [...own, ...primed.flatMap((p) => p.spec.deps)];
      const after = await this.#snapshot([...new Set([...guarded, ...more])]);
      // A write between the two reads may be missing from the answer, though the second read has its
      // version: then neither the value's own deps nor what it primes can be trusted, and none is kept.
      if (sameStamp(after.stampOf(guarded), before.stampOf(guarded))) {
        if (own.length > 0) this.#store(key, spec, value, [...spec.deps, ...own], after, writes);
        for (const p of primed)
          this.#store(`${scope.tenant}:${p.spec.kind}:${p.spec.key}`, p.spec, p.value, p.spec.deps, after, writes);
      }
    }
    if (writes.length > 0) await this.#redis?.set(writes);
    return value;
  }

  #store<T>(
    key: string,
    spec: EntrySpec<T>,
    value: T,
    deps: readonly string[],
    snapshot: Snapshot,
    writes: SharedWrite[],
  ): void {
    const ttlMs = spec.ttlMs(value);
    if (ttlMs <= 0) return;
    const stamp = snapshot.stampOf(deps);
    const now = Date.now();
    const freshUntil = now + ttlMs;
    const staleUntil = freshUntil + this.#config.maxStaleSeconds * 1000;
    const json = JSON.stringify(value);
    this.#keep(key, { value, deps, stamp, validatedAt: now, freshUntil, staleUntil, size: json.length });
    if (spec.shared && typeof stamp.shared === "string") {
      const own = deps.length > spec.deps.length ? `"d":${JSON.stringify(deps.slice(spec.deps.length))},` : "";
      const entry = `{"s":${JSON.stringify(stamp.shared)},"f":${freshUntil},"x":${staleUntil},${own}"v":${json}}`;
      writes.push({ key, json: entry, ttlMs: staleUntil - now });
    }
  }

  #keep(key: string, entry: LocalEntry): void {
    this.#entries.set(key, entry, { ttl: Math.max(1, entry.staleUntil - Date.now()) });
  }

  async #snapshot(deps: readonly string[]): Promise<Snapshot> {
    const local = new Map(deps.map((dep) => [dep, this.#versions.version(dep)]));
    return new Snapshot(local, this.#redis ? await this.#redis.versions(deps) : undefined);
  }

  #lookup(spec: EntrySpec<unknown>, outcome: "hit" | "stale" | "miss", level: CacheLevel): void {
    this.#onEvent({ type: "lookup", kind: spec.kind, outcome, level });
  }
}

interface SharedWrite {
  key: string;
  json: string;
  ttlMs: number;
}

function parseShared(json: string | null): SharedEntry | undefined {
  if (json === null) return undefined;
  try {
    const entry = JSON.parse(json) as SharedEntry;
    const deps = entry.d === undefined || (Array.isArray(entry.d) && entry.d.every((d) => typeof d === "string"));
    return typeof entry.s === "string" && typeof entry.f === "number" && typeof entry.x === "number" && deps
      ? entry
      : undefined;
  } catch {
    return undefined;
  }
}
