import type { IncomingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import { Dispatcher, errors } from "undici";
import { DROP_CONNECTION } from "../../src/emulator/http.ts";

type Handle = (request: Request) => Promise<Response>;

/**
 * An undici dispatcher that hands each request to a fetch-style handler in this process (the
 * emulator's own), instead of writing it to a socket: the transport above it runs unchanged, pools
 * aside. A connection the handler drops (`DROP_CONNECTION`) fails as a closed socket does.
 */
export class InProcessDispatcher extends Dispatcher {
  readonly #origin: string;
  readonly #handle: Handle;
  readonly #running = new Set<AbortController>();
  #closed = false;

  /** `origin`: where the requests go, as a Pool is made for one origin and its callers give only paths. */
  constructor(origin: string, handle: Handle) {
    super();
    this.#origin = origin;
    this.#handle = handle;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.#closed) {
      handler.onResponseError?.(inert, new errors.ClientClosedError());
      return false;
    }
    void this.#run(options, handler);
    return true;
  }

  async #run(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): Promise<void> {
    const abort = new AbortController();
    const flow = new Flow(abort);
    this.#running.add(abort);
    try {
      handler.onRequestStart?.(flow, {});
      abort.signal.throwIfAborted();
      // A request aborted while the handler works fails at once, as one on a socket does.
      const request = toRequest(options, this.#origin, abort.signal);
      const response = await Promise.race([this.#handle(request), rejection(abort.signal)]);
      if (response === DROP_CONNECTION) throw new errors.SocketError("other side closed");
      handler.onResponseStart?.(flow, response.status, headersOf(response), response.statusText);
      if (response.body && options.method !== "HEAD") {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          await flow.flowing();
          handler.onResponseData?.(flow, Buffer.from(chunk));
        }
      }
      abort.signal.throwIfAborted();
      handler.onResponseEnd?.(flow, {});
    } catch (error) {
      handler.onResponseError?.(flow, abort.signal.aborted ? (abort.signal.reason as Error) : (error as Error));
    } finally {
      this.#running.delete(abort);
    }
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | undefined {
    this.#closed = true;
    if (callback) return void queueMicrotask(callback);
    return Promise.resolve();
  }

  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | undefined {
    this.#closed = true;
    const error = typeof first === "function" || !first ? new errors.ClientDestroyedError() : first;
    for (const running of this.#running) running.abort(error);
    const callback = typeof first === "function" ? first : second;
    if (callback) return void queueMicrotask(callback);
    return Promise.resolve();
  }
}

/** The controller undici's handlers pause, resume and abort a response through. */
class Flow implements Dispatcher.DispatchController {
  readonly #abort: AbortController;
  #paused = false;
  #resumed: (() => void) | undefined;

  constructor(abort: AbortController) {
    this.#abort = abort;
  }

  get aborted(): boolean {
    return this.#abort.signal.aborted;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get reason(): Error | null {
    return this.aborted ? (this.#abort.signal.reason as Error) : null;
  }

  abort(reason: Error): void {
    this.#abort.abort(reason);
    this.#resumed?.();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#resumed?.();
  }

  /** Waits while the reader has paused the body; throws once it aborted. */
  async flowing(): Promise<void> {
    while (this.#paused && !this.aborted) await new Promise<void>((resolve) => (this.#resumed = resolve));
    this.#abort.signal.throwIfAborted();
  }
}

const inert: Dispatcher.DispatchController = {
  aborted: true,
  paused: false,
  reason: null,
  abort: () => {},
  pause: () => {},
  resume: () => {},
};

function rejection(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
}

function toRequest(options: Dispatcher.DispatchOptions, origin: string, signal: AbortSignal): Request {
  const body = options.body;
  return new Request(new URL(options.path, options.origin ?? origin), {
    method: options.method,
    headers: toHeaders(options.headers),
    body: body instanceof Readable ? (Readable.toWeb(body) as ReadableStream<Uint8Array>) : (body as BodyInit | null),
    duplex: "half",
    signal,
  } as RequestInit);
}

function toHeaders(headers: Dispatcher.DispatchOptions["headers"]): Headers {
  const result = new Headers();
  if (!headers) return result;
  const entries = Array.isArray(headers)
    ? Array.from({ length: headers.length / 2 }, (_, i) => [headers[2 * i], headers[2 * i + 1]])
    : Object.entries(headers as Record<string, string | string[] | undefined>);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) result.append(String(name), String(one));
  }
  return result;
}

function headersOf(response: Response): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}
