const MB = 1024 * 1024;

/** The defaults of the settings that memory bounds, for a limit of `limitBytes` (none: as without one). */
export interface MemorySizing {
  /** V8's old generation (`--max-old-space-size`, MB); absent: V8's own default. */
  readonly heapMb: number | undefined;
  /** V8's young generation's semi-space (`--max-semi-space-size`, MB). */
  readonly semiSpaceMb: number;
  readonly cacheMaxBytes: number;
  readonly loaderConcurrency: number;
  readonly uploadConcurrency: number;
  readonly maxSubscriptions: number;
  /** GraphQL requests running at once; 0: no bound. */
  readonly maxInFlight: number;
}

// About 43 KB each measured over SSE: a tenth of the memory limit holds this many.
const SUBSCRIPTION_BYTES = 43 * 1024;

export function sizedFor(limitBytes: number | undefined): MemorySizing {
  if (limitBytes === undefined) {
    return {
      heapMb: undefined,
      semiSpaceMb: 8,
      cacheMaxBytes: 16 * MB,
      loaderConcurrency: 10,
      uploadConcurrency: 4,
      maxSubscriptions: 10_000,
      maxInFlight: 0,
    };
  }
  const limitMb = limitBytes / MB;
  return {
    // Half the limit for the old generation (two fifths under 256 MB, where the node binary's ~55 MB of
    // pages weigh more): the rest holds the young generation, code, the binary's pages and buffers.
    heapMb: Math.max(32, Math.floor(limitMb * (limitMb < 256 ? 0.4 : 0.5))),
    semiSpaceMb: limitMb < 256 ? 4 : 8,
    cacheMaxBytes: Math.min(16 * MB, Math.max(MB, Math.floor(limitBytes / 16))),
    loaderConcurrency: limitMb < 256 ? 6 : 10,
    uploadConcurrency: limitMb < 256 ? 2 : 4,
    maxSubscriptions: Math.max(50, Math.min(10_000, Math.floor(limitBytes / 10 / SUBSCRIPTION_BYTES))),
    // A page of 100 with variants holds about a megabyte while it runs: one running request per 10 MB.
    maxInFlight: Math.max(4, Math.floor(limitMb / 10)),
  };
}
