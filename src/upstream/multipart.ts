import { randomUUID } from "node:crypto";

/** A file part whose bytes are read once, as they are sent. */
export interface StreamedFile {
  filename: string;
  contentType: string;
  stream: AsyncIterable<Uint8Array>;
}

export interface MultipartBody {
  contentType: string;
  stream: AsyncIterable<Uint8Array>;
}

/**
 * A `multipart/form-data` body produced as it is sent: the text fields first, then the file's
 * bytes passed through chunk by chunk, so a 10 MB upload never sits whole in memory.
 */
export function multipartBody(fields: Record<string, string | undefined>, file?: StreamedFile): MultipartBody {
  const boundary = `----cf-images-graphql-${randomUUID()}`;
  const encoder = new TextEncoder();
  async function* parts(): AsyncGenerator<Uint8Array> {
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      yield encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
    }
    if (file) {
      yield encoder.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoted(file.filename)}"\r\n` +
          `Content-Type: ${file.contentType}\r\n\r\n`,
      );
      yield* file.stream;
      yield encoder.encode("\r\n");
    }
    yield encoder.encode(`--${boundary}--\r\n`);
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, stream: parts() };
}

/** The escaping browsers apply to names in a form's part headers (WHATWG HTML, multipart/form-data). */
function quoted(name: string): string {
  return name.replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/"/g, "%22");
}
