import type { Readable } from "node:stream";

/** A file part of a GraphQL multipart request, as it arrives. */
export interface ArrivedFile {
  filename: string;
  mimeType: string;
  /** The live request bytes: read once, never buffered whole. */
  stream: AsyncIterable<Uint8Array>;
}

/** The upload was refused before it could be read (skipped, missing, or the request broke). */
export class UploadUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UploadUnavailableError";
  }
}

type State =
  | { kind: "expected" }
  | { kind: "arrived"; part: Readable; filename: string; mimeType: string }
  | { kind: "claimed"; part: Readable }
  | { kind: "gone"; reason: string };

/**
 * The value of an `Upload` variable. Its bytes are the request's own, still on the wire: the
 * request parser pauses at the file part until a resolver claims it, so whoever claims it reads
 * it straight through, and whatever is not claimed is drained so the request can finish.
 */
export class IncomingUpload {
  readonly #session: UploadSession;
  #state: State = { kind: "expected" };
  /** Why the request's bytes stopped coming, when they did. */
  brokenBy: string | undefined;
  #waiter: { resolve(file: ArrivedFile): void; reject(error: Error): void } | undefined;

  constructor(session: UploadSession) {
    this.#session = session;
  }

  get waiting(): boolean {
    return this.#waiter !== undefined;
  }

  get arrivedUnclaimed(): boolean {
    return this.#state.kind === "arrived";
  }

  /** Hands the file over once; resolves when its part arrives. */
  claim(): Promise<ArrivedFile> {
    const state = this.#state;
    if (state.kind === "claimed" || this.#waiter) {
      return Promise.reject(new UploadUnavailableError("The file was already used by another field."));
    }
    if (state.kind === "gone") return Promise.reject(new UploadUnavailableError(state.reason));
    if (state.kind === "arrived") {
      this.#state = { kind: "claimed", part: state.part };
      return Promise.resolve(handOver(state));
    }
    this.#session.discardBlockersOf(this);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  arrive(part: Readable, filename: string, mimeType: string): void {
    if (this.#state.kind !== "expected") {
      part.resume();
      return;
    }
    const arrived = { kind: "arrived", part, filename, mimeType } as const;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      this.#state = { kind: "claimed", part };
      waiter.resolve(handOver(arrived));
      return;
    }
    this.#state = arrived;
    this.#session.arrivedWhileOthersWait(this);
  }

  /** Drops a file not claimed: its bytes are read and thrown away, and a pending claim fails with `reason`. */
  discard(reason: string): void {
    const state = this.#state;
    if (state.kind === "claimed" || state.kind === "gone") return;
    if (state.kind === "arrived") state.part.resume();
    this.#state = { kind: "gone", reason };
    this.#waiter?.reject(new UploadUnavailableError(reason));
    this.#waiter = undefined;
  }

  /** No more parts will come: a file still expected never will. */
  missing(reason: string): void {
    if (this.#state.kind === "expected") this.discard(reason);
  }

  /** The request broke: a reader waiting on the file's bytes gets the error instead of waiting forever. */
  abort(error: Error): void {
    this.brokenBy = error.message;
    const state = this.#state;
    if (state.kind === "arrived" || state.kind === "claimed") state.part.destroy(error);
    this.discard(error.message);
  }

  /** After its reader is done: drains what the reader left, so the parts after it can come. */
  release(): void {
    if (this.#state.kind === "claimed") this.#state.part.resume();
  }
}

/** The uploads of one multipart request. */
export class UploadSession {
  readonly uploads: IncomingUpload[] = [];

  create(): IncomingUpload {
    const upload = new IncomingUpload(this);
    this.uploads.push(upload);
    return upload;
  }

  /**
   * Parts arrive in order, and an unread part holds back every part after it: a file that arrived
   * but is not wanted yet is dropped so that the one being waited for can come through.
   */
  discardBlockersOf(waiting: IncomingUpload): void {
    for (const upload of this.uploads) {
      if (upload !== waiting && upload.arrivedUnclaimed) {
        upload.discard("The file was skipped: send files in the order the operation uses them.");
      }
    }
  }

  /** A part arrived: it may be holding back a file some resolver already waits for. */
  arrivedWhileOthersWait(upload: IncomingUpload): void {
    if (this.uploads.some((u) => u !== upload && u.waiting)) {
      upload.discard("The file was skipped: send files in the order the operation uses them.");
    }
  }

  /**
   * The body is parsed to its end: claims of files that never came fail. A file that came and is
   * not claimed yet stays, with its bytes in the part's buffer, for a resolver still to run.
   */
  finish(reason: string): void {
    for (const upload of this.uploads) upload.missing(reason);
  }

  abort(error: Error): void {
    for (const upload of this.uploads) upload.abort(error);
  }

  /** The response is out: nothing reads any more, so every file left is drained. */
  close(reason: string): void {
    for (const upload of this.uploads) {
      upload.discard(reason);
      upload.release();
    }
  }
}

function handOver(state: { part: Readable; filename: string; mimeType: string }): ArrivedFile {
  // Not destroyed when a reader stops early: the parser still needs the rest of the part.
  return {
    filename: state.filename,
    mimeType: state.mimeType,
    stream: state.part.iterator({ destroyOnReturn: false }),
  };
}
