import { type IncrementalPart, readParts } from "./incremental.ts";

export interface Subscription {
  readonly response: Response;
  /** The next event, or "end" once the server completed the stream. Fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<IncrementalPart | "end">;
  /** Whether an event (or the end) arrives within `ms`; the event is kept for `next`. */
  quietFor(ms: number): Promise<boolean>;
  /** The client goes away. */
  abort(): void;
}

/** Subscribes over SSE ("distinct connections" mode, as graphql-sse clients do) with plain fetch. */
export async function subscribe(
  serverUrl: URL,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Subscription> {
  const controller = new AbortController();
  const response = await fetch(new URL("/graphql", serverUrl), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const parts = readParts(response);
  let pending: Promise<IteratorResult<IncrementalPart>> | undefined;
  const pull = () => {
    pending ??= parts.next();
    return pending;
  };
  const within = <T>(promise: Promise<T>, ms: number) =>
    Promise.race([promise, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), ms))]);
  return {
    response,
    async next(timeoutMs = 20_000) {
      const result = await within(pull(), timeoutMs);
      if (result === "timeout") throw new Error(`no event within ${timeoutMs} ms`);
      pending = undefined;
      return result.done ? "end" : result.value;
    },
    async quietFor(ms) {
      return (await within(pull(), ms)) === "timeout";
    },
    abort() {
      controller.abort();
      pending?.catch(() => undefined);
      parts.return(undefined).catch(() => undefined);
    },
  };
}
