import { type CloudflareImagesApi, classifyUpstreamFailure, type ImageUpdate } from "../upstream/index.ts";
import type { Writes } from "../writes/index.ts";
import type { ItemOutcome, LeasedItem, UpdateSet } from "./model.ts";

/** The upstream's limit on an image's metadata (https://developers.cloudflare.com/images/upload-images/). */
const MAX_METADATA_BYTES = 1024;

/**
 * What to do with an item after a try: its outcome, or a retry. `applied: "no"` when the upstream
 * certainly did nothing (a 429, or the local budget refused the call), so the try does not count.
 */
export type ItemResult =
  | { readonly outcome: ItemOutcome }
  | {
      readonly retryAfterMs: number;
      readonly applied: "no" | "maybe";
      readonly code: string;
      readonly message: string;
    };

const failed = (code: string, message: string): ItemResult => ({ outcome: { state: "FAILED", code, message } });
const DONE: ItemResult = { outcome: { state: "DONE" } };

/**
 * One item through the one write path. Each operation is safe to repeat after a try whose outcome
 * was lost (a process killed): a delete that finds the image gone is done, an update writes the same
 * values again, an import with a custom id that finds it taken is skipped (done when an earlier try
 * of ours may have made it). An import without a custom id is the exception: it is not repeated
 * after a try that may have reached the upstream, since a second one would make a second image.
 */
export async function applyItem(item: LeasedItem, writes: Writes, api: CloudflareImagesApi): Promise<ItemResult> {
  const scope = { api, tenant: "" };
  const { operation } = item;
  const retried = item.attempts > 1;
  try {
    if (operation.kind === "DELETE") {
      await writes.deleteImage(scope, item.imageId ?? "");
      return DONE;
    }
    if (operation.kind === "UPDATE") {
      const update = await updateOf(api, item.imageId ?? "", operation.set);
      if (typeof update === "string") return failed("BAD_USER_INPUT", update);
      await writes.updateImage(scope, item.imageId ?? "", update);
      return DONE;
    }
    const wanted = item.importItem;
    if (!wanted) return failed("BAD_USER_INPUT", "The item has no URL.");
    if (wanted.id === undefined && retried) {
      return failed(
        "UPSTREAM_UNAVAILABLE",
        "An earlier try may have imported this URL: it is not repeated, since an image without a custom id would be imported twice.",
      );
    }
    await writes.uploadImage(scope, { ...wanted });
    return DONE;
  } catch (error) {
    return resultOfFailure(error, item, retried);
  }
}

async function updateOf(api: CloudflareImagesApi, imageId: string, set: UpdateSet): Promise<ImageUpdate | string> {
  const { mergeMetadata, ...update } = set;
  if (!mergeMetadata || update.metadata === undefined) return update;
  const current = await api.images.get(imageId);
  const metadata = { ...current.meta, ...update.metadata };
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > MAX_METADATA_BYTES) {
    return `The merged metadata would be ${bytes} bytes; at most ${MAX_METADATA_BYTES} are allowed.`;
  }
  return { ...update, metadata };
}

function resultOfFailure(error: unknown, item: LeasedItem, retried: boolean): ItemResult {
  const failure = classifyUpstreamFailure(error);
  const message = error instanceof Error ? error.message : String(error);
  if (!failure) throw error;
  switch (failure.kind) {
    case "notFound":
      // Gone already: by an earlier try of ours, or by someone else since the selection was made.
      if (item.operation.kind === "DELETE" && (item.known || retried)) return DONE;
      return failed("NOT_FOUND", `Image ${item.imageId ?? ""} does not exist.`);
    case "refused":
      if (item.operation.kind === "IMPORT" && failure.reason === "conflict") {
        return { outcome: { state: retried ? "DONE" : "SKIPPED" } };
      }
      return failed("UPSTREAM_ERROR", upstreamMessage(failure.upstream.errors, message));
    case "rateLimited":
      return {
        retryAfterMs: Math.max(1, failure.retryAfter) * 1000,
        applied: "no",
        code: "RATE_LIMITED",
        message,
      };
    case "unavailable":
    case "failed":
      return { retryAfterMs: 0, applied: "maybe", code: "UPSTREAM_UNAVAILABLE", message };
    case "invalidId":
      return failed("BAD_USER_INPUT", "The upstream cannot take this image id.");
    case "cancelled":
      return { retryAfterMs: 0, applied: "maybe", code: "UPSTREAM_UNAVAILABLE", message };
    default:
      return failed("UPSTREAM_ERROR", upstreamMessage(failure.upstream.errors, message));
  }
}

function upstreamMessage(errors: readonly { code: number; message: string }[], fallback: string): string {
  return errors.length > 0 ? errors.map((e) => `${e.code} ${e.message}`).join("; ") : fallback;
}
