// Stand-in for `src/writes/change-events.ts` (the `writes` helper's one write path) until it lands on
// main: the same shapes. At merge, import from ../writes/change-events.ts instead and delete this file.
import type { Image } from "../upstream/index.ts";

export type ImageChangeKind = "created" | "updated" | "deleted";

export interface ImageChangeEvent {
  readonly kind: ImageChangeKind;
  readonly imageId: string;
  readonly previousImageId?: string;
  readonly image?: Image;
  /** "" = the server's token; a sha256 of the caller's token in forward mode. */
  readonly tenant: string;
}

export type ChangeListener = (event: ImageChangeEvent) => void | Promise<void>;

export interface ChangeEvents {
  on(listener: ChangeListener): () => void;
  /** Listeners are awaited: the mutation answers after them. */
  emit(event: ImageChangeEvent): Promise<void>;
}

export function createChangeEvents(): ChangeEvents {
  const listeners = new Set<ChangeListener>();
  return {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async emit(event) {
      await Promise.all([...listeners].map((listener) => listener(event)));
    },
  };
}
