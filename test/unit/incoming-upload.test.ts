import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { UploadSession, UploadUnavailableError } from "../../src/uploads/incoming-upload.ts";

function part(text: string): PassThrough {
  const stream = new PassThrough();
  stream.end(Buffer.from(text));
  return stream;
}

async function read(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe("IncomingUpload", () => {
  it("serves a claim made before the part arrives, once, with the part's name and type", async () => {
    const session = new UploadSession();
    const upload = session.create();
    const claimed = upload.claim();
    upload.arrive(part("bytes"), "a.png", "image/png");
    const file = await claimed;
    expect({ name: file.filename, type: file.mimeType, text: await read(file.stream) }).toEqual({
      name: "a.png",
      type: "image/png",
      text: "bytes",
    });
    await expect(upload.claim()).rejects.toBeInstanceOf(UploadUnavailableError);
  });

  it("drops an earlier unclaimed file when a later one is waited for, and says why", async () => {
    const session = new UploadSession();
    const first = session.create();
    const second = session.create();
    const blocker = part("first");
    first.arrive(blocker, "1.png", "image/png");
    const waiting = second.claim();
    expect(blocker.isPaused()).toBe(false);
    second.arrive(part("second"), "2.png", "image/png");
    expect(await read((await waiting).stream)).toBe("second");
    await expect(first.claim()).rejects.toThrow(/order/);
  });

  it("drops a part arriving while a later file is already waited for", async () => {
    const session = new UploadSession();
    const first = session.create();
    const second = session.create();
    const waiting = second.claim();
    first.arrive(part("first"), "1.png", "image/png");
    second.arrive(part("second"), "2.png", "image/png");
    expect(await read((await waiting).stream)).toBe("second");
    await expect(first.claim()).rejects.toThrow(/order/);
  });

  it("at the end of the body fails claims of files that never came, and keeps those that did", async () => {
    const session = new UploadSession();
    const came = session.create();
    const missing = session.create();
    came.arrive(part("here"), "c.png", "image/png");
    session.finish("not in the request");
    expect(await read((await came.claim()).stream)).toBe("here");
    await expect(missing.claim()).rejects.toThrow("not in the request");
  });

  it("fails a claim still waiting when the body ends without its file", async () => {
    const session = new UploadSession();
    const waiting = session.create().claim();
    session.finish("not in the request");
    await expect(waiting).rejects.toThrow("not in the request");
  });

  it("hands a reader the request's error when the request breaks mid-file", async () => {
    const session = new UploadSession();
    const upload = session.create();
    const live = new PassThrough();
    live.on("error", () => {});
    live.write("half");
    upload.arrive(live, "h.png", "image/png");
    const file = await upload.claim();
    session.abort(new Error("connection reset"));
    await expect(read(file.stream)).rejects.toThrow("connection reset");
    expect(upload.brokenBy).toBe("connection reset");
  });
});
