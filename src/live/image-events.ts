import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub, type PubSub } from "graphql-yoga";
import { Redis } from "ioredis";
import type { Image } from "../upstream/index.ts";

/**
 * An image as it travels between replicas: JSON through Redis turns its date into text, so the
 * receiving side revives it (`reviveImage`) whichever event target carried it.
 */
export type ImageEventPayload = Omit<Image, "uploaded"> & { uploaded: string | Date | null };

/** `null`: the image was deleted. */
export interface ImageChangedEvent {
  image: ImageEventPayload | null;
}

/**
 * No ready check: its INFO, sent on connect, fails on a connection that a subscription already put
 * in subscriber mode, and ioredis then drops the connection and its subscriptions.
 */
const REDIS_OPTIONS = { maxRetriesPerRequest: 1, enableReadyCheck: false } as const;

type Topics = { imageChanged: [imageId: string, event: ImageChangedEvent] };

export interface ImageEvents {
  readonly pubsub: PubSub<Topics>;
  /** Called once for each change event of an existing image (`Live.onImageChange`), after the upstream confirmed it. */
  publishChanged(imageId: string, image: Image | null): void;
  close(): Promise<void>;
}

/**
 * yoga's pub/sub over an in-process event target, or over Redis when `redisUrl` is set, so a
 * mutation through any replica reaches subscribers held by every other replica.
 */
export function createImageEvents(redisUrl: string | undefined): ImageEvents {
  if (redisUrl === undefined) {
    const pubsub = createPubSub<Topics>();
    return { pubsub, publishChanged: publisher(pubsub), close: async () => undefined };
  }
  // Redis is a coordinator here, never needed to answer a query: while it is down, mutations do not
  // wait for it, and their events arrive late (ioredis queues them briefly) or are lost.
  const publishClient = quiet(new Redis(redisUrl, REDIS_OPTIONS));
  const subscribeClient = quiet(new Redis(redisUrl, REDIS_OPTIONS));
  const pubsub = createPubSub<Topics>({
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient }),
  });
  return {
    pubsub,
    publishChanged: publisher(pubsub),
    // Not `quit`: with Redis down it would wait for a reconnection; nothing here needs a clean goodbye.
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

/**
 * The event target calls `publish`, `subscribe` and `unsubscribe` without awaiting them: a refusal
 * while Redis is down must not become an unhandled rejection, which would stop the process.
 */
function quiet(client: Redis): Redis {
  // Connection trouble arrives as 'error' events; without a listener Node would throw them.
  client.on("error", () => undefined);
  for (const method of ["publish", "subscribe", "unsubscribe"] as const) {
    const original = client[method].bind(client) as (...args: unknown[]) => Promise<unknown>;
    Object.defineProperty(client, method, {
      value: (...args: unknown[]) => {
        const pending = original(...args);
        pending.catch(() => undefined);
        return pending;
      },
    });
  }
  return client;
}

function publisher(pubsub: PubSub<Topics>) {
  return (imageId: string, image: Image | null) => pubsub.publish("imageChanged", imageId, { image });
}

export function reviveImage(payload: ImageEventPayload): Image {
  const uploaded = payload.uploaded === null ? null : new Date(payload.uploaded);
  return { ...payload, uploaded: uploaded && !Number.isNaN(uploaded.getTime()) ? uploaded : null };
}
