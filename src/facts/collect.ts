import { createHash } from "node:crypto";

/** The stored bytes of a file as they went by: one copy, with their SHA-256. */
export interface CollectedFile {
  bytes: Buffer;
  contentHash: string;
}

/**
 * Passes a stream on unchanged while hashing it and keeping its chunks (at most `maxBytes`; the
 * chunks are the ones already read, so nothing is copied until the end). `collected` resolves
 * once the stream has been read to its end, or to undefined when it was cut short or too large.
 */
export function collectWhilePassing(
  stream: AsyncIterable<Uint8Array>,
  maxBytes: number,
): { stream: AsyncIterable<Uint8Array>; collected: Promise<CollectedFile | undefined> } {
  let settle: (file: CollectedFile | undefined) => void = () => undefined;
  const collected = new Promise<CollectedFile | undefined>((resolve) => {
    settle = resolve;
  });
  async function* passing(): AsyncGenerator<Uint8Array> {
    const hash = createHash("sha256");
    let chunks: Uint8Array[] | undefined = [];
    let size = 0;
    let finished = false;
    try {
      for await (const chunk of stream) {
        hash.update(chunk);
        size += chunk.byteLength;
        if (chunks && size <= maxBytes) chunks.push(chunk);
        else chunks = undefined;
        yield chunk;
      }
      finished = true;
    } finally {
      settle(finished && chunks ? { bytes: Buffer.concat(chunks, size), contentHash: hash.digest("hex") } : undefined);
    }
  }
  return { stream: passing(), collected };
}

/** Reads a whole stream (a blob download), stopping as soon as it holds more than `maxBytes`. */
export async function collectStream(
  stream: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<CollectedFile | { tooLarge: true }> {
  const hash = createHash("sha256");
  const chunks: Uint8Array[] = [];
  let size = 0;
  const iterator = stream[Symbol.asyncIterator]();
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      size += next.value.byteLength;
      if (size > maxBytes) return { tooLarge: true };
      hash.update(next.value);
      chunks.push(next.value);
    }
  } finally {
    // Ends the download early when the file was too large (or reading failed).
    if (size > maxBytes) await iterator.return?.();
  }
  return { bytes: Buffer.concat(chunks, size), contentHash: hash.digest("hex") };
}
