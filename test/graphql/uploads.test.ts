import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pngHeaderOnly } from "../../src/emulator/samples/headers.ts";
import { paddedPng, samplePng } from "../../src/emulator/samples/index.ts";
import { accountView } from "../support/images.ts";
import { useTestStack } from "../support/server.ts";
import { gqlMultipart, UPLOAD_IMAGE, UPLOAD_V1, type UploadResult } from "../support/uploads.ts";

const TEN_MB = 10 * 1024 * 1024;

const stack = useTestStack({ resetEmulatorBeforeEach: true });

function uploadFile(bytes: Uint8Array, input: Record<string, unknown> = {}, name = "photo.png") {
  return gqlMultipart<UploadResult>(stack, UPLOAD_IMAGE, { input: { ...input, file: null } }, [
    { path: "variables.input.file", bytes, name, type: "image/png" },
  ]);
}

describe("uploadImage with a file (GraphQL multipart request)", () => {
  it("stores the bytes: the image reads back, and its delivery URL serves the same bytes", async () => {
    const png = samplePng(24, 16, 7);
    const answer = await uploadFile(png, { creator: "ada", metadata: { album: "holiday" } }, "beach.png");
    expect(answer.errors).toBeUndefined();
    const result = answer.data?.uploadImage;
    expect(result?.__typename).toBe("UploadImagePayload");
    expect(result?.image).toMatchObject({ filename: "beach.png", creator: "ada", meta: { album: "holiday" } });
    expect(await stack.emulator.counts()).toEqual({ [UPLOAD_V1]: 1 });

    const imageId = result?.image?.imageId ?? "";
    const read = await stack.gql<{ image: { imageId: string; creator: string; url: string } }>(
      `query($id: ID!) { image(imageId: $id) { imageId creator url(variant: "public") } }`,
      { id: imageId },
    );
    expect(read.data?.image).toMatchObject({ imageId, creator: "ada" });
    const delivered = await fetch(read.data?.image.url ?? "");
    expect(delivered.status).toBe(200);
    expect(new Uint8Array(await delivered.arrayBuffer())).toEqual(png);
  });

  it("streams: the upstream upload starts while the client is still sending the file", async () => {
    const file = paddedPng(4 * 1024 * 1024);
    const boundary = "streamed-upload-test";
    const operations = JSON.stringify({ query: UPLOAD_IMAGE, variables: { input: { file: null } } });
    const head =
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.input.file"]}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="slow.png"\r\nContent-Type: image/png\r\n\r\n`;
    const half = file.byteLength / 2;
    let upstreamBeforeEnd = false;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(head));
        controller.enqueue(file.subarray(0, half));
        // The rest is held back until the upstream has the request: a server that buffered the
        // file first would never get there, and the deadline would end the wait.
        const deadline = Date.now() + 10_000;
        while (!upstreamBeforeEnd && Date.now() < deadline) {
          upstreamBeforeEnd = (await stack.emulator.counts())[UPLOAD_V1] === 1;
          if (!upstreamBeforeEnd) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        controller.enqueue(file.subarray(half));
        controller.enqueue(new TextEncoder().encode(`\r\n--${boundary}--\r\n`));
        controller.close();
      },
    });
    const response = await fetch(new URL("/graphql", stack.server.url), {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "apollo-require-preflight": "true" },
      body,
      duplex: "half",
    } as RequestInit);
    const answer = (await response.json()) as { data: UploadResult };
    expect(upstreamBeforeEnd).toBe(true);
    expect(answer.data.uploadImage.__typename).toBe("UploadImagePayload");
    const blob = await fetch(new URL(`/images/${answer.data.uploadImage.image?.imageId}/blob`, stack.server.url));
    expect(Buffer.from(await blob.arrayBuffer()).equals(file)).toBe(true);
  });

  it("accepts a 9.5 MB file", async () => {
    const big = paddedPng(Math.round(9.5 * 1024 * 1024));
    const answer = await uploadFile(big, {}, "big.png");
    expect(answer.data?.uploadImage.__typename).toBe("UploadImagePayload");
    const blob = await fetch(new URL(`/images/${answer.data?.uploadImage.image?.imageId}/blob`, stack.server.url));
    // Compared as buffers: a deep equality over 10 million elements takes seconds.
    expect(Buffer.from(await blob.arrayBuffer()).equals(big)).toBe(true);
  });

  it.each([
    ["10 MB + 1 byte", () => paddedPng(TEN_MB + 1), "LimitExceededError", { limit: "FILE_SIZE", max: TEN_MB }],
    ["bad magic bytes", () => new TextEncoder().encode("GIF-ish? no: plain text"), "UnsupportedImageError", {}],
    ["too many pixels", () => pngHeaderOnly(11_000, 11_000), "LimitExceededError", { limit: "IMAGE_DIMENSIONS" }],
  ])("refuses %s with a typed error and leaves the account unchanged", async (_case, bytes, typename, fields) => {
    const before = await accountView(stack.emulator);
    await stack.emulator.reset();
    const answer = await uploadFile(bytes());
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.uploadImage).toMatchObject({ __typename: typename, ...fields });
    expect(answer.data?.uploadImage.message).toMatch(/\w/);
    expect(await stack.emulator.counts()).toEqual({ [UPLOAD_V1]: 1 });
    expect(await accountView(stack.emulator)).toEqual(before);
  });

  it.each([
    ["both file and url", { url: "http://127.0.0.1:9/x.png" }, ["input", "url"]],
    ["metadata over 1024 bytes", { metadata: { note: "x".repeat(1100) } }, ["input", "metadata"]],
    ["a UUID as custom id", { id: "6f1c0c9e-4d1b-4a7e-9a49-3a9f2f1e2d3c" }, ["input", "id"]],
    ["signed URLs with a custom id", { id: "albums/one", requireSignedURLs: true }, ["input", "requireSignedURLs"]],
  ])("refuses %s with a ValidationError before any upstream call", async (_case, input, path) => {
    const answer = await uploadFile(samplePng(4, 4), input);
    expect(answer.data?.uploadImage).toMatchObject({ __typename: "ValidationError", path });
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("refuses a custom id already taken with a ConflictError naming the id field", async () => {
    expect((await uploadFile(samplePng(4, 4), { id: "team/logo" })).data?.uploadImage.__typename).toBe(
      "UploadImagePayload",
    );
    const again = await uploadFile(samplePng(5, 5), { id: "team/logo" });
    expect(again.data?.uploadImage).toMatchObject({ __typename: "ConflictError", path: ["input", "id"] });
  });

  it("serves the next request on the same connection after a refused, unread file", async () => {
    const refused = await uploadFile(paddedPng(2 * 1024 * 1024), { url: "http://127.0.0.1:9/x.png" });
    expect(refused.data?.uploadImage.__typename).toBe("ValidationError");
    const next = await uploadFile(samplePng(3, 3));
    expect(next.data?.uploadImage.__typename).toBe("UploadImagePayload");
  });

  it("uploads two files of one request to two images, in the order the operation uses them", async () => {
    const first = samplePng(4, 4, 1);
    const second = samplePng(6, 6, 2);
    const answer = await gqlMultipart<{ a: { image: { imageId: string } }; b: { image: { imageId: string } } }>(
      stack,
      `mutation($a: Upload!, $b: Upload!) {
        a: uploadImage(input: { file: $a }) { ... on UploadImagePayload { image { imageId } } }
        b: uploadImage(input: { file: $b }) { ... on UploadImagePayload { image { imageId } } }
      }`,
      { a: null, b: null },
      [
        { path: "variables.a", bytes: first, name: "a.png" },
        { path: "variables.b", bytes: second, name: "b.png" },
      ],
    );
    expect(answer.errors).toBeUndefined();
    for (const [alias, bytes] of [
      ["a", first],
      ["b", second],
    ] as const) {
      const blob = await fetch(new URL(`/images/${answer.data?.[alias].image.imageId}/blob`, stack.server.url));
      expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytes);
    }
  });

  it("answers a ValidationError for a large file sent before one the operation needed first", async () => {
    // Small parts sit in stream buffers and arrive anyway; a large one blocks the parts behind it.
    const answer = await gqlMultipart<Record<string, UploadResult["uploadImage"]>>(
      stack,
      `mutation($a: Upload!, $b: Upload!) {
        first: uploadImage(input: { file: $b }) { __typename }
        second: uploadImage(input: { file: $a }) { __typename ... on ValidationError { path message } }
      }`,
      { a: null, b: null },
      [
        { path: "variables.a", bytes: paddedPng(2 * 1024 * 1024), name: "a.png" },
        { path: "variables.b", bytes: samplePng(6, 6, 2), name: "b.png" },
      ],
    );
    expect(answer.data?.first?.__typename).toBe("UploadImagePayload");
    expect(answer.data?.second).toMatchObject({ __typename: "ValidationError", path: ["input", "file"] });
    expect(answer.data?.second?.message).toMatch(/order/);
    expect(await stack.emulator.counts()).toEqual({ [UPLOAD_V1]: 1 });
  });

  it("refuses a multipart request whose files come before its operations", async () => {
    const form = new FormData();
    form.append("0", new Blob([samplePng(4, 4)]), "early.png");
    form.append("operations", JSON.stringify({ query: UPLOAD_IMAGE, variables: { input: { file: null } } }));
    form.append("map", JSON.stringify({ 0: ["variables.input.file"] }));
    const response = await fetch(new URL("/graphql", stack.server.url), {
      method: "POST",
      headers: { "apollo-require-preflight": "true" },
      body: form,
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(response.status).toBe(400);
    expect(body.errors[0]?.extensions.code).toBe("BAD_USER_INPUT");
    expect(await stack.emulator.counts()).toEqual({});
  });
});

describe("uploadImage with a url", () => {
  let origin: Server;
  let originUrl: string;
  const served = samplePng(9, 7, 5);

  beforeAll(async () => {
    origin = createServer((request, response) => {
      if (request.url === "/pictures/fox.png") return void response.end(served);
      response.statusCode = 404;
      response.end("not here");
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => origin.close(() => resolve())));

  it("has the upstream fetch the URL, and the image keeps its bytes", async () => {
    const answer = await stack.gql<UploadResult>(UPLOAD_IMAGE, { input: { url: `${originUrl}/pictures/fox.png` } });
    expect(answer.data?.uploadImage).toMatchObject({
      __typename: "UploadImagePayload",
      image: { filename: "fox.png" },
    });
    const delivered = await fetch(answer.data?.uploadImage.image?.url ?? "");
    expect(new Uint8Array(await delivered.arrayBuffer())).toEqual(served);
  });

  it("answers an image that reads back in the same request without another upstream call", async () => {
    const answer = await stack.gql<{
      uploadImage: { image: { imageId: string; filename: string } };
    }>(
      `mutation($url: String!) { uploadImage(input: { url: $url, id: "foxes/red" }) {
        ... on UploadImagePayload { image { imageId filename } }
      } }`,
      { url: `${originUrl}/pictures/fox.png` },
    );
    expect(answer.data?.uploadImage.image).toEqual({ imageId: "foxes/red", filename: "fox.png" });
    expect(await stack.emulator.counts()).toEqual({ [UPLOAD_V1]: 1 });
  });

  it("refuses neither file nor url with a ValidationError and no upstream call", async () => {
    const answer = await stack.gql<UploadResult>(UPLOAD_IMAGE, { input: { creator: "nobody" } });
    expect(answer.data?.uploadImage).toMatchObject({ __typename: "ValidationError", path: ["input", "file"] });
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("refuses an Upload given as a plain JSON value", async () => {
    const answer = await stack.gql(UPLOAD_IMAGE, { input: { file: "not-a-file" } });
    expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await stack.emulator.counts()).toEqual({});
  });
});

describe("broken upload requests", () => {
  function multipartHead(boundary: string): string {
    const operations = JSON.stringify({ query: UPLOAD_IMAGE, variables: { input: { file: null } } });
    return (
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.input.file"]}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="cut.png"\r\nContent-Type: image/png\r\n\r\n`
    );
  }

  it("answers a body that ends in the middle of the file with a ValidationError, storing nothing", async () => {
    const before = await accountView(stack.emulator);
    const boundary = "cut-short";
    const file = paddedPng(1024 * 1024);
    const response = await fetch(new URL("/graphql", stack.server.url), {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "apollo-require-preflight": "true" },
      body: Buffer.concat([Buffer.from(multipartHead(boundary)), file.subarray(0, file.byteLength / 2)]),
    });
    const answer = (await response.json()) as { data: UploadResult };
    expect(answer.data.uploadImage).toMatchObject({ __typename: "ValidationError", path: ["input", "file"] });
    expect(await accountView(stack.emulator)).toEqual(before);
  });

  it("survives a client that goes away mid-file: nothing is stored, and the server keeps answering", async () => {
    const before = await accountView(stack.emulator);
    await stack.emulator.reset();
    const boundary = "gone-away";
    const request = httpRequest(new URL("/graphql", stack.server.url), {
      method: "POST",
      headers: {
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "transfer-encoding": "chunked",
        "apollo-require-preflight": "true",
      },
    });
    request.on("error", () => {});
    request.write(multipartHead(boundary));
    request.write(paddedPng(1024 * 1024).subarray(0, 512 * 1024));
    const deadline = Date.now() + 10_000;
    while ((await stack.emulator.counts())[UPLOAD_V1] !== 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    request.destroy();
    const alive = await stack.gql<{ __typename: string }>("{ __typename }");
    expect(alive.data?.__typename).toBe("Query");
    await expect.poll(() => accountView(stack.emulator)).toEqual(before);
  });
});
