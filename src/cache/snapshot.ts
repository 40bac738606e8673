import type { SharedVersions } from "./redis-level.ts";

/**
 * Where an entry stood when it was read: the versions of what it depends on, here and (with
 * Redis) in the shared level. `shared` is undefined without Redis, null while it is out of reach.
 */
export interface Stamp {
  readonly local: string;
  readonly shared: string | null | undefined;
}

/** Versions read at one instant, before an upstream call: whatever the call answers is at most this new. */
export class Snapshot {
  readonly #local: ReadonlyMap<string, number>;
  readonly #shared: SharedVersions | null | undefined;

  constructor(local: ReadonlyMap<string, number>, shared: SharedVersions | null | undefined) {
    this.#local = local;
    this.#shared = shared;
  }

  stampOf(deps: readonly string[]): Stamp {
    const shared = this.#shared;
    return {
      local: deps.map((dep) => this.#local.get(dep) ?? "?").join(","),
      shared: shared && `${shared.epoch},${deps.map((dep) => shared.values.get(dep) ?? "?").join(",")}`,
    };
  }
}

export function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.local === b.local && a.shared === b.shared;
}
