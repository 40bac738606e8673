import { createHash } from "node:crypto";
import { type CollectedFile, collectWhilePassing, type RequestFacts } from "../facts/index.ts";
import { type ArrivedFile, type IncomingUpload, UploadUnavailableError } from "../uploads/incoming-upload.ts";
import { sizeLimited } from "../uploads/size-limit.ts";
import type { Image, ImageUpload, NewImageFields } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { ImageRef } from "./image.ts";
import {
  COMMON_ERRORS,
  ConflictError,
  fileTooLarge,
  LimitExceededError,
  resultUnion,
  UnsupportedImageError,
  ValidationError,
} from "./mutation-errors.ts";
import { checkHttpUrl, checkImageFields } from "./mutation-input.ts";
import { runMutation } from "./run-mutation.ts";

const UPLOAD_ERRORS = [...COMMON_ERRORS, ConflictError, LimitExceededError, UnsupportedImageError] as const;

const UploadImageInput = builder.inputType("UploadImageInput", {
  description: "Exactly one of `file` and `url`.",
  fields: (t) => ({
    file: t.field({ type: "Upload", description: "The image, as a file of a multipart request (streamed)." }),
    url: t.string({ description: "An http(s) URL the upstream fetches the image from." }),
    id: t.string({ description: "A custom id (not a UUID; `/` separates segments). Such images cannot be private." }),
    metadata: t.field({ type: "JSON", description: "A JSON object of at most 1024 bytes." }),
    creator: t.string(),
    requireSignedURLs: t.boolean(),
    dedupe: t.boolean({
      defaultValue: false,
      description:
        "With a `file`: when the catalogue already holds an image with the same bytes (by its facts), that image " +
        "is answered (`deduplicated: true`) and nothing is sent upstream; the other fields are then not applied. " +
        "Needs the catalogue READY (a typed error otherwise).",
    }),
  }),
});

interface UploadOutcome {
  image: Image;
  deduplicated: boolean;
}

const UploadImagePayload = builder.objectRef<UploadOutcome>("UploadImagePayload").implement({
  fields: (t) => ({
    image: t.field({ type: ImageRef, resolve: (p) => p.image }),
    deduplicated: t.exposeBoolean("deduplicated", {
      description: "True when `image` is one already stored with the same bytes (`dedupe`): nothing was uploaded.",
    }),
  }),
});

builder.mutationField("uploadImage", (t) =>
  t.field({
    type: UploadImagePayload,
    description: "Uploads an image from a file (streamed to the upstream) or from a URL.",
    args: { input: t.arg({ type: UploadImageInput, required: true }) },
    errors: resultUnion("UploadImageResult", UPLOAD_ERRORS),
    resolve: async (_root, { input }, ctx) => {
      if ((input.file == null) === (input.url == null)) {
        const both = input.file != null;
        throw new ValidationError(
          both ? "Give either a file or a url, not both." : "Give the image as a file or as a url.",
          both ? ["input", "url"] : ["input", "file"],
        );
      }
      const fields = checkImageFields(input);
      const target = {
        resource: "IMAGE",
        id: fields.id ?? "",
        idPath: ["input", "id"],
        existing: false,
        errors: UPLOAD_ERRORS,
      } as const;
      const file = input.file;
      const url = file ? undefined : checkHttpUrl(input.url ?? "", ["input", "url"]);
      const dedupe = input.dedupe === true;
      if (dedupe && !file) {
        throw new ValidationError("`dedupe` needs a `file`: a URL's bytes are only read by the upstream.", [
          "input",
          "dedupe",
        ]);
      }
      // Refused before a byte is read while the catalogue cannot answer.
      if (dedupe) ctx.catalogue.catalogue.requireReady();
      return runMutation(ctx, target, async (writes, scope) => {
        const send = (upload: ImageUpload) => writes.uploadImage(scope, upload);
        if (!file) return { image: await send({ ...fields, url: url ?? "" }), deduplicated: false };
        const findStored = dedupe ? (hash: string) => ctx.catalogue.catalogue.imageWithHash(hash) : undefined;
        return uploadFile(file, fields, ctx.settings.maxUploadBytes, send, ctx.facts, findStored);
      });
    },
  }),
);

/** Streams the request's file to `send`, cut off past `maxBytes`; `facts` get the bytes as they pass. */
async function uploadFile(
  upload: IncomingUpload,
  fields: NewImageFields,
  maxBytes: number,
  send: (request: ImageUpload) => Promise<Image>,
  facts: RequestFacts | undefined,
  findStored?: (contentHash: string) => Promise<Image | undefined>,
): Promise<UploadOutcome> {
  let file: ArrivedFile;
  try {
    file = await upload.claim();
  } catch (error) {
    if (error instanceof UploadUnavailableError) throw new ValidationError(error.message, ["input", "file"]);
    throw error;
  }
  const limited = sizeLimited(file.stream, maxBytes);
  try {
    if (findStored) {
      // Deduplicating needs the hash before the upstream call: the file (at most maxBytes) is read whole
      // first, the one copy the tee would have kept anyway, and then sent from memory or not at all.
      const whole = await collectWhole(limited.stream);
      const stored = await findStored(whole.contentHash);
      if (stored) return { image: stored, deduplicated: true };
      const image = await send({ ...fields, file: { ...describe(file), stream: replay(whole.bytes) } });
      await facts?.fromUpload(image, Promise.resolve(whole));
      return { image, deduplicated: false };
    }
    // The bytes on their way upstream are hashed and kept (one copy) for the image's facts: no second read.
    const teed = facts ? collectWhilePassing(limited.stream, maxBytes) : undefined;
    const image = await send({ ...fields, file: { ...describe(file), stream: teed?.stream ?? limited.stream } });
    if (teed) await facts?.fromUpload(image, teed.collected);
    return { image, deduplicated: false };
  } catch (error) {
    // Cut off mid-file (by the size limit, or a broken request): the upstream stored nothing.
    if (limited.exceeded) throw fileTooLarge(maxBytes);
    if (upload.brokenBy) throw new ValidationError(`The file could not be read: ${upload.brokenBy}`, ["input", "file"]);
    throw error;
  } finally {
    upload.release();
  }
}

function describe(file: ArrivedFile): { filename: string; contentType: string } {
  return { filename: file.filename || "upload", contentType: file.mimeType };
}

/** The whole file with its SHA-256; the stream is already cut off past the upload limit. */
async function collectWhole(stream: AsyncIterable<Uint8Array>): Promise<CollectedFile> {
  const hash = createHash("sha256");
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return { bytes: Buffer.concat(chunks, size), contentHash: hash.digest("hex") };
}

async function* replay(bytes: Buffer): AsyncGenerator<Uint8Array> {
  yield bytes;
}
