import type { Context } from "../context.ts";
import { inputError, policyError } from "../errors.ts";
import { type DraftOutcome, type ImageChangedEvent, reviveImage } from "../live/index.ts";
import { type Image, isAcceptableId, MAX_UPSTREAM_ID_CHARS } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { ImageRef } from "./image.ts";
import { upstreamCall } from "./limits.ts";

// Subscriptions read images, so they need what queries need.
builder.subscriptionType({ authScopes: { "images:read": true } });

function checkedImageId(raw: string | number): string {
  const imageId = String(raw);
  if (!isAcceptableId(imageId)) {
    throw inputError(`An image id is well-formed text of at most ${MAX_UPSTREAM_ID_CHARS} characters.`, {
      argument: "imageId",
    });
  }
  return imageId;
}

/**
 * Refuses a subscription past the process's cap (the server's capacity: retry later, elsewhere) or
 * its caller's (close one first); checked before anything of the stream is set up.
 */
export function admitSubscription(ctx: Context): void {
  const reached = ctx.live.streams.capReached(ctx.caller);
  if (reached === "total") {
    throw policyError("overloaded", "The server holds as many open subscriptions as it can; retry later.", {
      extensions: { reason: "OVERLOADED", limit: "MAX_SUBSCRIPTIONS", retryAfter: 1 },
    });
  }
  if (reached === "perCaller") {
    throw policyError("rateLimited", "You hold as many open subscriptions as one caller may; close one first.", {
      extensions: { limit: "MAX_SUBSCRIPTIONS_PER_CALLER", retryAfter: 1 },
    });
  }
}

/** Each event is resolved afresh: a subscription's loaders would otherwise hold its first answers for hours. */
function freshImage(ctx: Context, image: Image): Image {
  ctx.loaders.clearAll();
  ctx.loaders.primeImages([image]);
  return image;
}

/**
 * A stream of one value. It joins at once, when the subscription is set up (not at the first
 * pull), so a subscriber counts from the moment its answer starts; `return` (the client left)
 * leaves the watch, which stops the poll loop with its last subscriber.
 */
function onceStream<T>(join: (listener: (value: T) => void) => () => void): AsyncIterableIterator<T> {
  let state: { kind: "waiting" } | { kind: "ready"; value: T } | { kind: "done" } = { kind: "waiting" };
  let pending: ((result: IteratorResult<T>) => void) | undefined;
  const finish = (): Promise<IteratorResult<T>> => {
    state = { kind: "done" };
    leave();
    pending?.({ value: undefined, done: true });
    pending = undefined;
    return Promise.resolve({ value: undefined, done: true });
  };
  const leave = join((value) => {
    if (state.kind !== "waiting") return;
    if (pending) {
      state = { kind: "done" };
      pending({ value, done: false });
      pending = undefined;
    } else {
      state = { kind: "ready", value };
    }
  });
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (state.kind === "ready") {
        const { value } = state;
        state = { kind: "done" };
        return Promise.resolve({ value, done: false });
      }
      if (state.kind === "done") return finish();
      return new Promise((resolve) => {
        pending = resolve;
      });
    },
    return: finish,
  };
}

builder.subscriptionFields((t) => ({
  imageReady: t.field({
    type: ImageRef,
    description:
      "Emits the image once, when the direct upload's draft has its file, and ends; at once for an image " +
      "that is ready. Ends with NOT_FOUND for an unknown id, and with NOT_FOUND (`reason: UPLOAD_EXPIRED`) " +
      "when the upload URL expires first. However many clients wait, one poll loop per draft asks the upstream.",
    args: { imageId: t.arg.id({ required: true }) },
    complexity: upstreamCall,
    subscribe: (_root, args, ctx) => {
      const imageId = checkedImageId(args.imageId);
      admitSubscription(ctx);
      return ctx.live.streams.track(
        onceStream<DraftOutcome>((listener) => ctx.live.drafts.watch(ctx.upstreamKey, imageId, ctx.api, listener)),
        ctx.caller,
      );
    },
    resolve: (outcome: DraftOutcome, _args, ctx) => {
      if ("error" in outcome) throw outcome.error;
      // A direct upload's bytes have just arrived: its facts are computed now, whatever the subscriber asked.
      void ctx.facts?.load(outcome.image);
      return freshImage(ctx, outcome.image);
    },
  }),
  imageChanged: t.field({
    type: ImageRef,
    nullable: true,
    description:
      "Emits the image after every change made to it through any replica of this server (updateImage), " +
      "and null after it is deleted; again when its facts (width, placeholder…) become known. Changes made outside " +
      "this server are not seen.",
    args: { imageId: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => {
      const imageId = checkedImageId(args.imageId);
      admitSubscription(ctx);
      return ctx.live.streams.track(ctx.live.events.pubsub.subscribe("imageChanged", imageId), ctx.caller);
    },
    resolve: (event: ImageChangedEvent, _args, ctx) => (event.image ? freshImage(ctx, reviveImage(event.image)) : null),
  }),
}));
