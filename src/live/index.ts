import type { LiveConfig } from "../config.ts";
import { DraftWatch } from "./draft-watch.ts";
import { createImageEvents, type ImageEvents } from "./image-events.ts";

export { type DraftOutcome, DraftWatch } from "./draft-watch.ts";
export { type ImageChangedEvent, type ImageEvents, reviveImage } from "./image-events.ts";

/** What subscriptions share across requests: one per app, unlike the per-request context. */
export interface Live {
  readonly events: ImageEvents;
  readonly drafts: DraftWatch;
  close(): Promise<void>;
}

export function createLive(config: LiveConfig): Live {
  const events = createImageEvents(config.redisUrl);
  const drafts = new DraftWatch({
    intervalMs: config.readyPollIntervalMs,
    maxIntervalMs: config.readyPollMaxIntervalMs,
  });
  return { events, drafts, close: () => events.close() };
}
