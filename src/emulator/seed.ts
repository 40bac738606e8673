/**
 * The sample account `--seed` loads (see seed-catalogue.ts for its content): real generated image
 * files, four variants and a `default` signing key (random, as the real one is a secret). Ids and
 * upload times (spread over the 30 days before `now`) are fixed, so lists and cursors reproduce.
 */
import { createHash } from "node:crypto";
import { detectImage } from "./formats/index.ts";
import { type SampleFormat, sampleImage } from "./samples/index.ts";
import { SEED_IMAGES, SEED_VARIANTS, type SeedImage } from "./seed-catalogue.ts";
import { type ImageRecord, newSigningKeyValue, type Snapshot, type StoredFile } from "./state.ts";
import type { BlobStore } from "./storage.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
const SPREAD_MS = 30 * DAY_MS;

const FORMAT_OF_EXTENSION: Record<string, SampleFormat> = {
  jpg: "jpeg",
  png: "png",
  gif: "gif",
  webp: "webp",
  svg: "svg",
};

export async function seedSnapshot(blobs: BlobStore, now: () => number): Promise<Snapshot> {
  const start = now() - SPREAD_MS;
  const step = SPREAD_MS / SEED_IMAGES.length;
  const images = await Promise.all(
    SEED_IMAGES.map(
      async (seed, index): Promise<ImageRecord> => ({
        id: seed.id ?? seededUuid(index),
        filename: seed.filename,
        creator: seed.creator,
        meta: structuredClone(seed.meta),
        requireSignedURLs: seed.requireSignedURLs,
        // Evenly spread, plus up to an hour of jitter so times do not look machine-made.
        uploaded: new Date(Math.round(start + index * step + ((index * 7919) % 3600) * 1000)).toISOString(),
        seq: index + 1,
        file: await storeSample(blobs, seed, index + 1),
      }),
    ),
  );
  return {
    version: 1,
    nextSeq: images.length + 1,
    images,
    variants: structuredClone(SEED_VARIANTS),
    keys: [{ name: "default", value: newSigningKeyValue() }],
    // The seeded account shows what a configured account can do, responsive URLs included.
    config: { flexibleVariants: true },
  };
}

async function storeSample(blobs: BlobStore, seed: SeedImage, sampleSeed: number): Promise<StoredFile> {
  const format = FORMAT_OF_EXTENSION[seed.filename.slice(seed.filename.lastIndexOf(".") + 1)];
  if (!format) throw new Error(`seed: no sample format for ${seed.filename}`);
  const bytes = sampleImage(format, seed.width, seed.height, sampleSeed);
  const detected = detectImage(bytes);
  if (!detected) throw new Error(`seed: the generated ${seed.filename} is not a recognisable image`);
  const { contentType, width, height } = detected;
  return { blobKey: await blobs.put(bytes), format: detected.format, contentType, size: bytes.length, width, height };
}

/** A fixed, valid-looking version 4 UUID per position, so seeded ids are the same on every start. */
function seededUuid(index: number): string {
  const hex = createHash("sha256").update(`cloudflare-images-emulator/seed/${index}`).digest("hex").split("");
  hex[12] = "4";
  hex[16] = "89ab"[Number.parseInt(hex[16] ?? "0", 16) & 3] ?? "8";
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
