import { Readable } from "node:stream";
import { Busboy, type BusboyFileStream } from "@fastify/busboy";
import type { GraphQLParams } from "graphql-yoga";
import { policyError } from "../errors.ts";
import type { IncomingUpload, UploadSession } from "./incoming-upload.ts";

export interface StreamingUploadsOptions {
  /** Files one request may carry. */
  maxFiles: number;
  /** Bytes of the `operations` and `map` fields. */
  maxFieldBytes: number;
  /** Bytes of the whole body, counted as it streams (a chunked body declares no length up front). */
  maxBodyBytes: number;
  /** The body is cut off when no byte comes for this long while the server waits for one. */
  idleTimeoutMs: number;
}

export function isMultipart(contentType: string | null): boolean {
  return /^multipart\/form-data\s*(;|$)/i.test(contentType ?? "");
}

/** Resolves with the operations once `operations` and `map` are in; the files stream on into `session`. */
export function parseMultipart(request: Request, session: UploadSession, options: StreamingUploadsOptions) {
  return new Promise<GraphQLParams>((resolve, reject) => {
    let operations: unknown;
    let ready = false;
    const byField = new Map<string, IncomingUpload>();
    const fail = (message: string) => {
      if (!ready) reject(badRequest(message));
      ready = true;
      session.abort(new Error(message));
    };
    const busboy = new Busboy({
      headers: { "content-type": request.headers.get("content-type") ?? "" },
      limits: { files: options.maxFiles, fieldSize: options.maxFieldBytes },
    });
    busboy.on("field", (name, value, _nameTruncated, valueTruncated) => {
      if (ready) return;
      if (valueTruncated) return fail(`Multipart field "${name}" is over ${options.maxFieldBytes} bytes.`);
      try {
        if (name === "operations") operations = JSON.parse(value);
        if (name === "map") {
          if (operations === undefined) return fail('Multipart field "operations" must come before "map".');
          for (const [field, paths] of mapEntries(JSON.parse(value))) {
            const upload = session.create();
            byField.set(field, upload);
            for (const path of paths) placeAt(operations, path, upload);
          }
          ready = true;
          resolve(operations as GraphQLParams);
        }
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        fail(error instanceof SyntaxError ? `Multipart field "${name}" must be JSON.` : reason);
      }
    });
    busboy.on("file", (name: string, part: BusboyFileStream, filename: string, _encoding: string, mime: string) => {
      const upload = byField.get(name);
      // A broken request errors its parts; whoever reads a part sees it, and an unread part must not crash the process.
      part.on("error", () => {});
      if (!ready) {
        part.resume();
        return fail('Multipart fields "operations" and "map" must come before the files.');
      }
      if (!upload) return part.resume();
      upload.arrive(part, filename, mime);
    });
    busboy.on("filesLimit", () => fail(`A request may carry at most ${options.maxFiles} files.`));
    busboy.on("finish", () => {
      if (!ready && operations !== undefined) {
        ready = true;
        resolve(operations as GraphQLParams);
      }
      if (!ready) return fail('Missing multipart field "operations".');
      session.finish("The file named in the map was not in the request.");
    });
    busboy.on("error", (error: Error) => fail(`The multipart body could not be read: ${error.message}`));
    if (!request.body) return fail("The multipart request has no body.");
    const body = request.body as unknown as AsyncIterable<Uint8Array>;
    const source = Readable.from(guarded(body, options.maxBodyBytes, options.idleTimeoutMs));
    source.on("error", (error) => busboy.destroy(error));
    source.pipe(busboy);
  });
}

/**
 * The body, capped in bytes and cut off when its client goes quiet: a stalled upload would hold an
 * upstream connection for as long as the client likes. The clock runs only while a byte is awaited,
 * so a body held back by the server itself (a file waiting for its turn) is never cut.
 */
async function* guarded(body: AsyncIterable<Uint8Array>, maxBytes: number, idleMs: number): AsyncIterable<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]();
  let seen = 0;
  try {
    for (;;) {
      const next = await withinIdleTimeout(chunks.next(), idleMs);
      if (next.done) return;
      seen += next.value.byteLength;
      if (seen > maxBytes) throw new Error(`the body is over ${maxBytes} bytes`);
      yield next.value;
    }
  } finally {
    // Not awaited: with a read still pending, the stream may never settle it.
    chunks.return?.().catch(() => {});
  }
}

function withinIdleTimeout<T>(pending: Promise<T>, idleMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the client sent no bytes for ${idleMs} ms`)), idleMs);
  });
  return Promise.race([pending, idle]).finally(() => clearTimeout(timer));
}

/** The spec's `map`: `{ "<field>": ["variables.file", …] }`. */
function mapEntries(map: unknown): [string, string[]][] {
  if (typeof map !== "object" || map === null || Array.isArray(map)) throw new Error('"map" must be an object');
  return Object.entries(map).map(([field, paths]) => {
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === "string")) {
      throw new Error(`"map.${field}" must be a list of paths`);
    }
    return [field, paths as string[]];
  });
}

function placeAt(operations: unknown, path: string, value: IncomingUpload): void {
  const keys = path.split(".");
  let at = operations as Record<string, unknown>;
  for (const [i, key] of keys.entries()) {
    if (key === "__proto__" || key === "constructor" || key === "prototype") throw new Error(`bad map path ${path}`);
    if (i === keys.length - 1) {
      at[key] = value;
      return;
    }
    const next = at[key];
    if (typeof next !== "object" || next === null) throw new Error(`The map path "${path}" is not in "operations".`);
    at = next as Record<string, unknown>;
  }
}

function badRequest(message: string) {
  return policyError("upload", message);
}
