import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Image } from "../upstream/index.ts";
import type { ImageChangeEvent } from "../writes/change-events.ts";

/** An event as it travels: JSON turns the upload time into text, revived on arrival. */
interface Relayed {
  from: string;
  event: Omit<ImageChangeEvent, "image"> & { image?: Omit<Image, "uploaded"> & { uploaded: string | null } };
}

export interface ChangeRelay {
  publish(event: ImageChangeEvent): void;
  close(): void;
}

const REDIS_OPTIONS = { maxRetriesPerRequest: 1, enableReadyCheck: false } as const;

/**
 * Replicas that each keep an embedded catalogue but share a Redis: each publishes the writes it
 * applied, and applies the others' (within about a second; a lost message is mended by the next
 * sweep). With PostgreSQL the replicas share one index and need none of this.
 */
export function createChangeRelay(
  redisUrl: string,
  accountId: string,
  apply: (event: ImageChangeEvent) => Promise<void>,
): ChangeRelay {
  const channel = `catalogue:${accountId}:changes`;
  const self = randomUUID();
  const publisher = new Redis(redisUrl, REDIS_OPTIONS);
  const subscriber = new Redis(redisUrl, REDIS_OPTIONS);
  // Redis is a coordinator, never needed to answer: its trouble is only logged by the other users of it.
  for (const client of [publisher, subscriber]) client.on("error", () => undefined);
  subscriber.subscribe(channel).catch(() => undefined);
  subscriber.on("message", (_channel: string, text: string) => {
    let relayed: Relayed;
    try {
      relayed = JSON.parse(text) as Relayed;
    } catch {
      return;
    }
    if (relayed.from === self) return;
    const { image, ...rest } = relayed.event;
    const event: ImageChangeEvent = image
      ? { ...rest, image: { ...image, uploaded: image.uploaded === null ? null : new Date(image.uploaded) } }
      : rest;
    apply(event).catch(() => undefined);
  });
  return {
    publish(event) {
      publisher.publish(channel, JSON.stringify({ from: self, event })).catch(() => undefined);
    },
    close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
