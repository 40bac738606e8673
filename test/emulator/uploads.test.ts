import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  headerOnlyImage,
  paddedPng,
  pngHeaderOnly,
  sampleGif,
  sampleJpeg,
  samplePng,
  sampleSvg,
  sampleWebp,
} from "../../src/emulator/samples/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { accountView, blobOf, expectRefused, imageForm, pngPart, rawApi, upload, uploaded } from "../support/images.ts";

const TEN_MB = 10 * 1024 * 1024;
let emulator: TestEmulator;

beforeEach(async () => {
  emulator = await startTestEmulator();
});
afterEach(() => emulator.close());

describe("upload body checks", () => {
  it("refuses a body that is not multipart/form-data with 415/5415", async () => {
    await expectRefused(emulator, () => emulator.api("POST", "/v1", { json: { url: "http://x/a.png" } }), 415, 5415);
    await expectRefused(
      emulator,
      () => rawApi(emulator, "POST", "/v1", samplePng(4, 4), { "content-type": "image/png" }),
      415,
      5415,
    );
  });

  it("refuses a multipart body that cannot be parsed with 400", async () => {
    const send = () =>
      rawApi(emulator, "POST", "/v1", "garbage without parts", { "content-type": "multipart/form-data; boundary=zz" });
    await expectRefused(emulator, send, 400, 5400, /multipart/);
  });

  it.each([
    ["neither file nor url", {}, null],
    ["both file and url", { url: "http://127.0.0.1:9/a.png" }, pngPart()],
  ])("refuses %s with 400", async (_case, fields, file) => {
    await expectRefused(emulator, () => upload(emulator, fields, file), 400, 5400);
  });

  it("refuses a file sent as a text field and a repeated file part", async () => {
    await expectRefused(emulator, () => upload(emulator, { file: "not a file part" }, null), 400, 5400);
    const twice = imageForm();
    twice.append("file", new Blob([samplePng(2, 2)]), "second.png");
    await expectRefused(emulator, () => emulator.api("POST", "/v1", { form: twice }), 400, 5400);
  });
});

describe("image checks", () => {
  it("accepts exactly 10 MB and refuses one byte more with 413/5413", async () => {
    const image = await uploaded(emulator, {}, pngPart("big.png", paddedPng(TEN_MB)));
    const blob = await blobOf(emulator, image.id);
    expect((await blob.arrayBuffer()).byteLength).toBe(TEN_MB);
    await expectRefused(emulator, () => upload(emulator, {}, pngPart("big.png", paddedPng(TEN_MB + 1))), 413, 5413);
  });

  it("decides the format by magic bytes, not by name or declared type (415/5455)", async () => {
    const text = new TextEncoder().encode("this is not a picture at all\n".repeat(10));
    await expectRefused(emulator, () => upload(emulator, {}, pngPart("photo.png", text)), 415, 5455);
    await expectRefused(
      emulator,
      () => upload(emulator, {}, pngPart("cut.png", samplePng(4, 4).slice(0, 20))),
      415,
      5455,
    );
  });

  it.each([
    ["png", samplePng(5, 3), "image/png"],
    ["gif", sampleGif(5, 3), "image/gif"],
    ["jpeg", sampleJpeg(5, 3), "image/jpeg"],
    ["webp", sampleWebp(5, 3), "image/webp"],
    ["svg", sampleSvg(5, 3), "image/svg+xml"],
  ])("accepts %s whatever the file is called", async (_format, bytes, contentType) => {
    const image = await uploaded(emulator, {}, { bytes, name: "upload.dat" });
    expect((await blobOf(emulator, image.id)).headers.get("content-type")).toBe(contentType);
  });

  it("refuses a side over 12,000 px and an area over 100 megapixels with 422/5450", async () => {
    await expectRefused(emulator, () => upload(emulator, {}, pngPart("w.png", pngHeaderOnly(12_001, 10))), 422, 5450);
    await expectRefused(emulator, () => upload(emulator, {}, pngPart("h.png", pngHeaderOnly(10, 12_001))), 422, 5450);
    const jpeg = { bytes: headerOnlyImage("jpeg", 12_001, 8), name: "w.jpg" };
    await expectRefused(emulator, () => upload(emulator, {}, jpeg), 422, 5450);
    await expectRefused(
      emulator,
      () => upload(emulator, {}, pngPart("a.png", pngHeaderOnly(11_000, 11_000))),
      422,
      5450,
      /megapixels/,
    );
  });

  it("accepts the limits themselves: a 12,000 px side and exactly 100 megapixels", async () => {
    await uploaded(emulator, {}, pngPart("side.png", pngHeaderOnly(12_000, 1)));
    await uploaded(emulator, {}, pngPart("area.png", pngHeaderOnly(10_000, 10_000)));
    expect((await accountView(emulator)).current).toBe(2);
  });
});

describe("oversized request bodies", () => {
  it("refuses a streamed body once it passes the cap, without waiting for the rest", async () => {
    const head = new TextEncoder().encode(
      '--b\r\nContent-Disposition: form-data; name="file"; filename="huge.png"\r\nContent-Type: image/png\r\n\r\n',
    );
    let sent = 0;
    const chunk = new Uint8Array(256 * 1024);
    // Up to 200 MB, far more than the emulator may hold: it must answer long before the end.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(head);
      },
      pull(controller) {
        if (sent >= 200 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const send = () => rawApi(emulator, "POST", "/v1", body, { "content-type": "multipart/form-data; boundary=b" });
    await expectRefused(emulator, send, 413, 5413);
    expect(sent).toBeLessThan(100 * 1024 * 1024);
    expect((await uploaded(emulator)).filename).toBe("photo.png");
  });

  it("refuses a declared Content-Length far over the cap before any body arrives", async () => {
    const before = await accountView(emulator);
    const url = new URL(`${emulator.baseUrl}/accounts/${emulator.accountId}/images/v1`);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${emulator.token}`,
          "content-type": "multipart/form-data; boundary=b",
          "content-length": String(1024 * 1024 * 1024),
        },
      });
      request.on("response", (response) => {
        let text = "";
        response.on("data", (data: Buffer) => {
          text += data.toString();
        });
        response.on("end", () => {
          request.destroy();
          resolve({ status: response.statusCode ?? 0, body: text });
        });
      });
      request.on("error", reject);
      request.write("--b\r\n");
      request.flushHeaders();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).errors[0].code).toBe(5413);
    expect(await accountView(emulator)).toEqual(before);
  });
});

describe("upload by URL", () => {
  let origin: Server;
  let originUrl: string;
  const served = { png: samplePng(7, 5, 3), big: paddedPng(TEN_MB + 1) };

  beforeAll(async () => {
    origin = createServer((request, response) => {
      const route = request.url ?? "";
      if (route === "/pictures/sunset%20beach.png") return void response.end(served.png);
      if (route === "/text") return void response.end("hello, not an image");
      if (route === "/big-declared") {
        response.setHeader("content-length", String(served.big.byteLength));
        return void response.end(served.big);
      }
      if (route === "/big-streamed") {
        // No Content-Length: the emulator must count while reading.
        response.write(served.big.subarray(0, TEN_MB / 2));
        response.write(served.big.subarray(TEN_MB / 2));
        return void response.end();
      }
      response.statusCode = 404;
      response.end("not here");
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => origin.close(() => resolve())));

  it("fetches the image, names it after the URL's last path segment and keeps the bytes", async () => {
    const image = await uploaded(emulator, { url: `${originUrl}/pictures/sunset%20beach.png`, creator: "bot" }, null);
    expect(image).toMatchObject({ filename: "sunset beach.png", creator: "bot" });
    expect(new Uint8Array(await (await blobOf(emulator, image.id)).arrayBuffer())).toEqual(served.png);
  });

  it.each([
    // Only the status class, never the network's details: the message must not be a scanning oracle.
    ["an origin answering 404", "/missing.png", /^could not fetch the image \(HTTP 4xx\)$/],
    ["an origin that is not listening", "CLOSED", /^could not fetch the image$/],
    ["a scheme other than http(s)", "ftp://127.0.0.1/a.png", /http or https/],
    ["a relative URL", "pictures/a.png", /http or https/],
  ])("refuses %s with 400", async (_case, target, message) => {
    const url = target === "CLOSED" ? "http://127.0.0.1:9/a.png" : target.startsWith("/") ? originUrl + target : target;
    await expectRefused(emulator, () => upload(emulator, { url }, null), 400, 5400, message);
  });

  it("applies the format check to fetched bytes", async () => {
    await expectRefused(emulator, () => upload(emulator, { url: `${originUrl}/text` }, null), 415, 5455);
  });

  it("refuses more than 10 MB, declared or streamed, with 413", async () => {
    await expectRefused(emulator, () => upload(emulator, { url: `${originUrl}/big-declared` }, null), 413, 5413);
    await expectRefused(emulator, () => upload(emulator, { url: `${originUrl}/big-streamed` }, null), 413, 5413);
  });
});
