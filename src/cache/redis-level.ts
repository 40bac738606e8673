import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { failFastRedis } from "../redis.ts";

const RENEWAL_RETRY_MS = 250;

/** The shared versions of some dependencies, read at one instant. */
export interface SharedVersions {
  readonly epoch: string;
  readonly values: ReadonlyMap<string, string>;
}

/**
 * The level replicas share: entries by key, and the versions of what they depend on, which
 * every write bumps in Redis before its request answers, so that every replica's next read of
 * an entry sees it changed. All versions are read together with an epoch, renewed whenever
 * Redis lost them (a restart, or writes it could not take), so counters that start again from
 * nothing never match an entry read before.
 */
export class RedisLevel {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #versionTtlMs: number;
  readonly #onReachable: (reachable: boolean) => void;
  /** A bump failed: other replicas may hold entries it should have ended. */
  #missedBumps = false;
  #renewal: NodeJS.Timeout | undefined;
  #closed = false;
  #reachable = true;
  /** Settles at the first connection (or soon after a start without one), so early reads do not count as an outage. */
  readonly #started: Promise<void>;

  /** `versionTtlMs`: longer than any entry lives, so a version never expires under an entry that needs it. */
  constructor(url: string, options: { prefix: string; versionTtlMs: number; onReachable: (up: boolean) => void }) {
    this.#prefix = options.prefix;
    this.#versionTtlMs = options.versionTtlMs;
    this.#onReachable = options.onReachable;
    this.#redis = failFastRedis(url, { autoPipelining: true });
    const { promise, resolve } = Promise.withResolvers<void>();
    const timer = setTimeout(resolve, 1000);
    timer.unref();
    this.#redis.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
    this.#started = promise;
    this.#redis.on("error", () => this.#setReachable(false));
    this.#redis.on("close", () => this.#setReachable(false));
    this.#redis.on("ready", () => {
      this.#setReachable(true);
      if (this.#missedBumps) void this.#renewEpoch().catch(() => this.#scheduleRenewal());
    });
  }

  /** The current versions of `deps`, in one round trip; null when Redis cannot be reached. */
  async versions(deps: readonly string[]): Promise<SharedVersions | null> {
    await this.#started;
    // What this replica wrote is missing from Redis: its entries there must not be trusted until the epoch ends them.
    if (this.#missedBumps) await this.#renewEpoch().catch(() => undefined);
    if (this.#missedBumps) return null;
    try {
      const keys = [this.#epochKey(), ...deps.map((dep) => this.#versionKey(dep))];
      let values = await this.#redis.mget(keys);
      if (values[0] === null) {
        await this.#redis.set(this.#epochKey(), randomUUID(), "NX");
        values = await this.#redis.mget(keys);
      }
      const [epoch, ...versions] = values;
      if (epoch == null) return null;
      return { epoch, values: new Map(deps.map((dep, i) => [dep, versions[i] ?? "0"])) };
    } catch {
      return null;
    }
  }

  async get(key: string): Promise<string | null> {
    await this.#started;
    try {
      return await this.#redis.get(this.#dataKey(key));
    } catch {
      return null;
    }
  }

  /** Writes entries, each with its own lifetime; a failure only costs other replicas a hit. */
  async set(entries: readonly { key: string; json: string; ttlMs: number }[]): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const entry of entries) pipeline.set(this.#dataKey(entry.key), entry.json, "PX", Math.max(1, entry.ttlMs));
    await pipeline.exec().catch(() => undefined);
  }

  /** False when the bump did not reach Redis (then the epoch is renewed once it is back). */
  async bump(deps: readonly string[]): Promise<boolean> {
    const pipeline = this.#redis.pipeline();
    for (const dep of deps) {
      pipeline.incr(this.#versionKey(dep));
      pipeline.pexpire(this.#versionKey(dep), this.#versionTtlMs);
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      if (results.length === 0 || results.some(([error]) => error)) throw new Error("bump refused");
      return true;
    } catch {
      this.#missedBumps = true;
      this.#scheduleRenewal();
      return false;
    }
  }

  get ready(): boolean {
    return this.#redis.status === "ready";
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#renewal);
    // Not `quit`: with Redis down it would wait for a reconnection.
    this.#redis.disconnect();
  }

  async #renewEpoch(): Promise<void> {
    await this.#redis.set(this.#epochKey(), randomUUID());
    this.#missedBumps = false;
  }

  /** Until the epoch is renewed: Redis may answer reads again before it takes writes (a pause, a failover). */
  #scheduleRenewal(): void {
    if (this.#renewal || this.#closed) return;
    this.#renewal = setTimeout(() => {
      this.#renewal = undefined;
      if (!this.#missedBumps || this.#closed) return;
      this.#renewEpoch().catch(() => this.#scheduleRenewal());
    }, RENEWAL_RETRY_MS);
    this.#renewal.unref();
  }

  #setReachable(reachable: boolean): void {
    if (reachable === this.#reachable) return;
    this.#reachable = reachable;
    this.#onReachable(reachable);
  }

  #epochKey(): string {
    return `${this.#prefix}:epoch`;
  }

  #versionKey(dep: string): string {
    return `${this.#prefix}:v:${dep}`;
  }

  #dataKey(key: string): string {
    return `${this.#prefix}:e:${key}`;
  }
}
