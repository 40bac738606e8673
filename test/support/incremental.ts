import type { TestStack } from "./server.ts";
/** One result of an incremental answer: the initial one, or a subsequent one with `incremental`. */
export interface IncrementalPart {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  incremental?: {
    items?: unknown[];
    data?: Record<string, unknown>;
    path: (string | number)[];
    label?: string;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  }[];
  hasNext?: boolean;
}

/** POSTs a document to /graphql asking for an incremental answer in the given media type. */
export function postIncremental(
  stack: Pick<TestStack, "fetch">,
  query: string,
  accept: "multipart/mixed" | "text/event-stream",
  init: { variables?: Record<string, unknown>; signal?: AbortSignal } = {},
): Promise<Response> {
  return stack.fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept },
    body: JSON.stringify({ query, variables: init.variables }),
    signal: init.signal,
  });
}

/**
 * The parts of an answer as they arrive: each `multipart/mixed` part or SSE `next` event, parsed.
 * A plain JSON answer (a request refused before execution) is one part.
 */
export async function* readParts(response: Response): AsyncGenerator<IncrementalPart> {
  const type = response.headers.get("content-type") ?? "";
  if (!response.body) throw new Error("no body");
  if (type.startsWith("multipart/mixed")) yield* multipartParts(response.body, boundaryOf(type));
  else if (type.startsWith("text/event-stream")) yield* eventStreamParts(response.body);
  else yield (await response.json()) as IncrementalPart;
}

export async function collectParts(response: Response): Promise<IncrementalPart[]> {
  const parts: IncrementalPart[] = [];
  for await (const part of readParts(response)) parts.push(part);
  return parts;
}

function boundaryOf(contentType: string): string {
  const match = /boundary="?([^";]+)"?/.exec(contentType);
  if (!match?.[1]) throw new Error(`no boundary in ${contentType}`);
  return match[1];
}

async function* textChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  for await (const chunk of body) yield decoder.decode(chunk, { stream: true });
}

async function* multipartParts(body: ReadableStream<Uint8Array>, boundary: string): AsyncGenerator<IncrementalPart> {
  const delimiter = `\r\n--${boundary}`;
  let buffer = "";
  let started = false;
  for await (const text of textChunks(body)) {
    buffer += text;
    for (;;) {
      const at = buffer.indexOf(delimiter);
      if (at < 0) break;
      const segment = buffer.slice(0, at);
      buffer = buffer.slice(at + delimiter.length);
      // Whatever precedes the first delimiter is the preamble.
      if (started) yield parsePart(segment);
      started = true;
      if (buffer.startsWith("--")) return;
    }
  }
}

function parsePart(segment: string): IncrementalPart {
  const headersEnd = segment.indexOf("\r\n\r\n");
  if (headersEnd < 0) throw new Error(`a part without headers: ${segment.slice(0, 80)}`);
  const headers = segment.slice(0, headersEnd).toLowerCase();
  if (!headers.includes("application/json")) throw new Error(`a part that is not JSON: ${headers}`);
  return JSON.parse(segment.slice(headersEnd + 4)) as IncrementalPart;
}

async function* eventStreamParts(body: ReadableStream<Uint8Array>): AsyncGenerator<IncrementalPart> {
  let buffer = "";
  for await (const text of textChunks(body)) {
    buffer += text;
    for (;;) {
      const at = buffer.indexOf("\n\n");
      if (at < 0) break;
      const event = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const lines = event.split("\n").filter((line) => !line.startsWith(":"));
      const name = lines
        .find((line) => line.startsWith("event:"))
        ?.slice(6)
        .trim();
      const data = lines
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (name === "complete") return;
      if (name === "next" || (name === undefined && data)) yield JSON.parse(data) as IncrementalPart;
    }
  }
}
