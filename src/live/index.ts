import type { LiveConfig } from "../config/index.ts";
import { DraftWatch } from "./draft-watch.ts";
import { createImageEvents, type ImageEvents } from "./image-events.ts";
import { OpenStreams } from "./streams.ts";

export { type DraftOutcome, DraftWatch } from "./draft-watch.ts";
export { type ImageChangedEvent, type ImageEvents, reviveImage } from "./image-events.ts";

/** What subscriptions share across requests: one per app, unlike the per-request context. */
export interface Live {
  readonly events: ImageEvents;
  readonly drafts: DraftWatch;
  /** Every subscription's stream goes through it, so that `endStreams` reaches them all. */
  readonly streams: OpenStreams;
  /** Completes every open subscription: the first step of a shutdown. */
  endStreams(): void;
  close(): Promise<void>;
}

/** `redisUrl`: events reach every replica on this Redis; absent, they stay in the process. */
export function createLive(config: LiveConfig, redisUrl: string | undefined): Live {
  const events = createImageEvents(redisUrl);
  const drafts = new DraftWatch({
    intervalMs: config.readyPollIntervalMs,
    maxIntervalMs: config.readyPollMaxIntervalMs,
  });
  const streams = new OpenStreams();
  return {
    events,
    drafts,
    streams,
    endStreams: () => streams.end(),
    close: async () => {
      streams.end();
      await events.close();
    },
  };
}
