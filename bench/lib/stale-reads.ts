/**
 * What a read may return, given the writes answered before it started. Writes to one image never
 * overlap (the caller holds one in flight at most), so the order their answers arrived in is the
 * order the upstream applied them, and each update carries a higher revision than the last.
 */
export type Observation = { present: true; rev: number } | { present: false };

export interface StaleRead {
  imageId: string;
  /** What the read returned: a revision, or "absent". */
  observed: number | "absent";
  /** What the last write answered before the read started had made it. */
  expected: number | "deleted";
  /** How long before the read started that write had answered (ms). */
  writeAnsweredMsBefore: number;
}

interface KnownState {
  /** A revision, or null once a delete answered. */
  rev: number | null;
  answeredAt: number;
}

export class StaleReadChecker {
  /** Per image, the states its writes made, in the order they answered. */
  readonly #history = new Map<string, KnownState[]>();
  /** Images whose delete was sent: "absent" may be their newest state before the answer arrives. */
  readonly #deleting = new Set<string>();
  readonly stale: StaleRead[] = [];
  checked = 0;
  /** Reads whose last answered write was an edit or a delete, not a creation: the ones a cache can get wrong. */
  checkedAfterChange = 0;

  /** The image exists with revision `rev` from `answeredAt` on (an upload, an update, or the seed). */
  written(imageId: string, rev: number, answeredAt: number): void {
    this.#append(imageId, { rev, answeredAt });
  }

  /** A delete was sent (its answer has not arrived yet). */
  deleting(imageId: string): void {
    this.#deleting.add(imageId);
  }

  /** The delete's answer arrived: from `answeredAt` on no read may return the image. */
  deleted(imageId: string, answeredAt: number): void {
    this.#deleting.add(imageId);
    this.#append(imageId, { rev: null, answeredAt });
  }

  /**
   * Checks one read of `imageId` that started at `startedAt` (same clock as the writes' times);
   * records it and returns true when it is stale. A read that started before a write answered
   * may return either state, and a newer value than the last answered write (one in flight) is fine.
   */
  observe(imageId: string, observation: Observation, startedAt: number): boolean {
    this.checked += 1;
    const known = this.#lastAnsweredBefore(imageId, startedAt);
    if (!known) return false;
    if (known.rev !== 0) this.checkedAfterChange += 1;
    let stale: boolean;
    if (known.rev === null) stale = observation.present;
    else if (observation.present) stale = observation.rev < known.rev;
    else stale = !this.#deleting.has(imageId);
    if (stale) {
      this.stale.push({
        imageId,
        observed: observation.present ? observation.rev : "absent",
        expected: known.rev ?? "deleted",
        writeAnsweredMsBefore: Math.round((startedAt - known.answeredAt) * 10) / 10,
      });
    }
    return stale;
  }

  #append(imageId: string, state: KnownState): void {
    const history = this.#history.get(imageId);
    if (!history) this.#history.set(imageId, [state]);
    else {
      const last = history[history.length - 1];
      if (last && state.answeredAt < last.answeredAt)
        throw new Error(`writes to ${imageId} must be recorded in the order they answered`);
      history.push(state);
    }
  }

  #lastAnsweredBefore(imageId: string, startedAt: number): KnownState | undefined {
    const history = this.#history.get(imageId);
    if (!history) return undefined;
    for (let i = history.length - 1; i >= 0; i--) {
      const state = history[i] as KnownState;
      if (state.answeredAt < startedAt) return state;
    }
    return undefined;
  }
}
