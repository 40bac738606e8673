import type { LiveConfig } from "../config.ts";
import { DraftWatch } from "./draft-watch.ts";
import { createImageEvents, type ImageEvents } from "./image-events.ts";
import { OpenStreams, type StreamCaps } from "./streams.ts";

export { type DraftOutcome, DraftWatch } from "./draft-watch.ts";
export { type ImageChangedEvent, type ImageEvents, reviveImage } from "./image-events.ts";
export type { StreamCapReached, StreamCaps } from "./streams.ts";

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

export function createLive(config: LiveConfig, caps?: StreamCaps): Live {
  const events = createImageEvents(config.redisUrl);
  const drafts = new DraftWatch({
    intervalMs: config.readyPollIntervalMs,
    maxIntervalMs: config.readyPollMaxIntervalMs,
  });
  const streams = new OpenStreams(caps);
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
