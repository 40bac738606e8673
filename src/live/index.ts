import type { LiveConfig } from "../config/index.ts";
import type { Image } from "../upstream/index.ts";
import type { ChangeListener } from "../writes/index.ts";
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
  /** Consumes the write path's change events: an image's `imageChanged` subscribers hear of its update or delete. */
  readonly onImageChange: ChangeListener;
  /** Completes every open subscription: the first step of a shutdown. */
  endStreams(): void;
  close(): Promise<void>;
}

/**
 * `redisUrl`: events reach every replica on this Redis (absent: they stay in the process).
 * `onDraftReady`: a watched draft got its file (the app emits it as a "created" change event).
 */
export function createLive(
  config: LiveConfig,
  options: {
    redisUrl?: string | undefined;
    onDraftReady?: (tenant: string, image: Image) => void | Promise<void>;
    /** Open subscriptions allowed in total and per caller; absent: no cap. */
    caps?: StreamCaps;
  } = {},
): Live {
  const events = createImageEvents(options.redisUrl);
  const drafts = new DraftWatch({
    intervalMs: config.readyPollIntervalMs,
    maxIntervalMs: config.readyPollMaxIntervalMs,
    onDraftReady: options.onDraftReady,
  });
  const streams = new OpenStreams(options.caps);
  return {
    events,
    drafts,
    streams,
    onImageChange: (event) => {
      // An update that gave the image a new id reaches the subscribers of the id it had.
      if (event.kind === "updated") events.publishChanged(event.previousImageId ?? event.imageId, event.image ?? null);
      if (event.kind === "deleted") events.publishChanged(event.imageId, null);
    },
    endStreams: () => streams.end(),
    close: async () => {
      streams.end();
      await events.close();
    },
  };
}
