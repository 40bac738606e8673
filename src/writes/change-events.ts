import type { Image } from "../upstream/index.ts";

export type ImageChangeKind = "created" | "updated" | "deleted";

/** One write of ours to an image, after the upstream confirmed it. */
export interface ImageChangeEvent {
  readonly kind: ImageChangeKind;
  /** The image's id after the change (for "deleted": the deleted id). */
  readonly imageId: string;
  /** Set when the upstream gave the image a new id. */
  readonly previousImageId?: string;
  /** The record after the change; absent for "deleted". */
  readonly image?: Image;
  /** Which upstream credential made the write: "" for the server's own token, a sha256 in `forward` mode. */
  readonly tenant: string;
}

export type ChangeListener = (event: ImageChangeEvent) => void | Promise<void>;

export interface ChangeEvents {
  /**
   * Listeners run in order and are awaited before the mutation's response is sent (the catalogue
   * is one). A listener's failure is logged and does not fail the write, which the upstream already
   * made. Returns the way to stop listening.
   */
  on(listener: ChangeListener): () => void;
  emit(event: ImageChangeEvent): Promise<void>;
}

/** `onListenerError`: where a listener's failure goes (the app's log); the event still reaches the next one. */
export function createChangeEvents(onListenerError: (error: unknown, event: ImageChangeEvent) => void): ChangeEvents {
  const listeners: ChangeListener[] = [];
  return {
    on(listener) {
      // Wrapped, so that the same function registered twice is removed once per registration.
      const entry: ChangeListener = (event) => listener(event);
      listeners.push(entry);
      return () => {
        const at = listeners.indexOf(entry);
        if (at >= 0) listeners.splice(at, 1);
      };
    },
    async emit(event) {
      for (const listener of [...listeners]) {
        try {
          await listener(event);
        } catch (error) {
          onListenerError(error, event);
        }
      }
    },
  };
}
