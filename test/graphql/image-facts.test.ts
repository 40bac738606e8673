import { describe, expect, it } from "vitest";
import { everyFormat, jpeg, png, rotatedJpeg, type SampleFile } from "../support/facts-files.ts";
import { type FilePart, uploaded } from "../support/images.ts";
import { startTestStack, useTestStack } from "../support/server.ts";
import { subscribe } from "../support/sse.ts";
import { gqlMultipart, UPLOAD_V1 } from "../support/uploads.ts";

const BLOB = "GET /accounts/{account_id}/images/v1/{image_id}/blob";
const DETAILS = "GET /accounts/{account_id}/images/v1/{image_id}";

const FACTS = `
  imageId width height aspectRatio byteSize sourceFormat animated hasAlpha contentHash
  placeholder { thumbhash dataURL dominantColor } factsStatus factsError`;

interface FactsAnswer {
  imageId: string;
  width: number | null;
  height: number | null;
  aspectRatio: number | null;
  byteSize: number | null;
  sourceFormat: string | null;
  animated: boolean | null;
  hasAlpha: boolean | null;
  contentHash: string | null;
  placeholder: { thumbhash: string; dataURL: string; dominantColor: string } | null;
  factsStatus: "READY" | "PENDING" | "FAILED";
  factsError: string | null;
}

const UPLOAD_WITH_FACTS = `
  mutation ($input: UploadImageInput!) {
    uploadImage(input: $input) { __typename ... on UploadImagePayload { image { ${FACTS} } } ... on MutationError { message } }
  }`;

const stack = useTestStack({ resetEmulatorBeforeEach: true });

const MIME: Record<SampleFile["format"], string> = {
  JPEG: "image/jpeg",
  PNG: "image/png",
  GIF: "image/gif",
  WEBP: "image/webp",
  AVIF: "image/avif",
  HEIC: "image/heic",
  SVG: "image/svg+xml",
};

function uploadThroughFacade(file: { bytes: Uint8Array; name: string; type: string }) {
  return gqlMultipart<{ uploadImage: { __typename: string; image?: FactsAnswer; message?: string } }>(
    stack,
    UPLOAD_WITH_FACTS,
    { input: { file: null } },
    [{ path: "variables.input.file", bytes: file.bytes, name: file.name, type: file.type }],
  );
}

async function readFacts(imageId: string): Promise<FactsAnswer> {
  const answer = await stack.gql<{ image: FactsAnswer }>(`query ($id: ID!) { image(imageId: $id) { ${FACTS} } }`, {
    id: imageId,
  });
  expect(answer.errors).toBeUndefined();
  return answer.data?.image as FactsAnswer;
}

/** Reads until the facts are no longer PENDING, as a frontend polling (or subscribed) would. */
async function settledFacts(imageId: string): Promise<FactsAnswer> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const facts = await readFacts(imageId);
    if (facts.factsStatus !== "PENDING") return facts;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`facts of ${imageId} still pending`);
}

function expectFactsOf(answer: FactsAnswer, file: SampleFile): void {
  expect(answer).toMatchObject({
    factsStatus: "READY",
    factsError: null,
    width: file.width,
    height: file.height,
    sourceFormat: file.format,
    animated: file.animated,
    hasAlpha: file.hasAlpha,
    byteSize: file.bytes.byteLength,
  });
  expect(answer.aspectRatio).toBeCloseTo(file.width / file.height, 6);
  expect(answer.contentHash).toMatch(/^[0-9a-f]{64}$/);
  if (file.format === "HEIC") expect(answer.placeholder).toBeNull();
  else expect(answer.placeholder?.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
}

describe("facts of an upload through the facade", () => {
  it("are in the upload's own answer for every format, at the cost of exactly the one upload call", async () => {
    for (const file of await everyFormat()) {
      await stack.emulator.reset();
      const answer = await uploadThroughFacade({ bytes: file.bytes, name: file.name, type: MIME[file.format] });
      expect(answer.errors, file.name).toBeUndefined();
      const image = answer.data?.uploadImage.image;
      expect(answer.data?.uploadImage.__typename, `${file.name}: ${answer.data?.uploadImage.message}`).toBe(
        "UploadImagePayload",
      );
      expectFactsOf(image as FactsAnswer, file);
      expect(await stack.emulator.counts(), file.name).toEqual({ [UPLOAD_V1]: 1 });
      // Read later: known, with no download of the bytes.
      expectFactsOf(await readFacts(image?.imageId as string), file);
      expect(await stack.emulator.counts(), file.name).toEqual({ [UPLOAD_V1]: 1, [DETAILS]: 1 });
    }
  });

  it("gives FAILED with a reason for a truncated JPEG, and the image is still served", async () => {
    const whole = (await jpeg(600, 400)).bytes;
    const cut = whole.subarray(0, Math.floor(whole.byteLength * 0.5));
    const answer = await uploadThroughFacade({ bytes: cut, name: "cut.jpg", type: "image/jpeg" });
    const image = answer.data?.uploadImage.image as FactsAnswer;
    expect(image).toMatchObject({ factsStatus: "FAILED", width: null, placeholder: null, byteSize: cut.byteLength });
    expect(image.factsError).toMatch(/could not be decoded/);
    const blob = await fetch(new URL(`/images/${image.imageId}/blob`, stack.server.url));
    expect(blob.status).toBe(200);
    expect(Buffer.from(await blob.arrayBuffer()).equals(Buffer.from(cut))).toBe(true);
  });
});

describe("facts of older images", () => {
  it("are PENDING on the first read, which never waits, then computed once in the background", async () => {
    const file = await rotatedJpeg();
    const part: FilePart = { bytes: file.bytes, name: file.name, type: "image/jpeg" };
    const image = await uploaded(stack.emulator, {}, part);
    await stack.emulator.reset();

    const first = await readFacts(image.id);
    expect(first).toMatchObject({ factsStatus: "PENDING", width: null, height: null, placeholder: null });
    const settled = await settledFacts(image.id);
    expectFactsOf(settled, file);
    const counts = await stack.emulator.counts();
    expect(counts[BLOB]).toBe(1);

    await readFacts(image.id);
    expect((await stack.emulator.counts())[BLOB]).toBe(1);
  });
});

describe("facts of a direct upload", () => {
  it("are computed when its file arrives: imageReady starts them, imageChanged brings them", async () => {
    const created = await stack.gql<{
      createDirectUpload: { uploadURL: string; image: { imageId: string; factsStatus: string } };
    }>(
      `mutation { createDirectUpload(input: {}) { ... on CreateDirectUploadPayload { uploadURL image { imageId factsStatus } } } }`,
    );
    const { uploadURL, image } = created.data?.createDirectUpload ?? { uploadURL: "", image: { imageId: "" } };
    expect(image).toMatchObject({ factsStatus: "PENDING" });
    const changed = await subscribe(
      stack.server.url,
      `subscription ($id: ID!) { imageChanged(imageId: $id) { factsStatus width height sourceFormat } }`,
      { id: image.imageId },
    );
    try {
      const file = await rotatedJpeg();
      const form = new FormData();
      form.append("file", new Blob([new Uint8Array(file.bytes)], { type: "image/jpeg" }), file.name);
      expect((await fetch(uploadURL, { method: "POST", body: form })).status).toBe(200);
      const ready = await subscribe(
        stack.server.url,
        `subscription ($id: ID!) { imageReady(imageId: $id) { imageId } }`,
        {
          id: image.imageId,
        },
      );
      try {
        expect(await ready.next()).toEqual({ data: { imageReady: { imageId: image.imageId } } });
      } finally {
        ready.abort();
      }
      expect(await changed.next()).toEqual({
        data: { imageChanged: { factsStatus: "READY", width: 80, height: 120, sourceFormat: "JPEG" } },
      });
      expect((await stack.emulator.counts())[BLOB]).toBe(1);
    } finally {
      changed.abort();
    }
  });
});

describe("facts follow the write path's changes", () => {
  it("forgets a deleted image's facts: a custom id uploaded again elsewhere gets its new bytes' facts", async () => {
    const first = await png(30, 20);
    const answer = await gqlMultipart<{ uploadImage: { image: FactsAnswer } }>(
      stack,
      UPLOAD_WITH_FACTS,
      { input: { id: "albums/cover", file: null } },
      [{ path: "variables.input.file", bytes: first.bytes, name: "cover.png", type: "image/png" }],
    );
    expect(answer.data?.uploadImage.image).toMatchObject({ imageId: "albums/cover", width: 30, height: 20 });
    const deleted = await stack.gql(`mutation { deleteImage(input: { imageId: "albums/cover" }) { __typename } }`);
    expect(deleted.errors).toBeUndefined();
    // Another tool stores other bytes under the same id.
    const second = await png(64, 16);
    await uploaded(
      stack.emulator,
      { id: "albums/cover" },
      { bytes: second.bytes, name: "cover.png", type: "image/png" },
    );
    expect(await readFacts("albums/cover")).toMatchObject({ factsStatus: "PENDING", width: null });
    expect(await settledFacts("albums/cover")).toMatchObject({ factsStatus: "READY", width: 64, height: 16 });
  });

  it("keeps the facts when making an image private gives it a new id (same bytes, no download)", async () => {
    const renaming = await startTestStack({ emulator: { newIdOnSignedUrlsChange: true } });
    try {
      const file = await png(44, 22);
      const answer = await gqlMultipart<{ uploadImage: { image: FactsAnswer } }>(
        renaming,
        UPLOAD_WITH_FACTS,
        { input: { file: null } },
        [{ path: "variables.input.file", bytes: file.bytes, name: "p.png", type: "image/png" }],
      );
      const oldId = answer.data?.uploadImage.image.imageId as string;
      const updated = await renaming.gql<{
        updateImage: { image: { imageId: string; factsStatus: string; width: number } };
      }>(
        `mutation ($id: ID!) {
          updateImage(input: { imageId: $id, requireSignedURLs: true }) { ... on UpdateImagePayload { image { imageId factsStatus width } } }
        }`,
        { id: oldId },
      );
      const image = updated.data?.updateImage.image;
      expect(image?.imageId).not.toBe(oldId);
      expect(image).toMatchObject({ factsStatus: "READY", width: 44 });
      expect((await renaming.emulator.counts())[BLOB]).toBeUndefined();
    } finally {
      await renaming.close();
    }
  });
});
