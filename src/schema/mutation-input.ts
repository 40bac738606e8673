import { isAcceptableId, MAX_UPSTREAM_ID_CHARS, type NewImageFields } from "../upstream/index.ts";
import { ValidationError } from "./mutation-errors.ts";

/**
 * The upstream's limits, checked before any call: metadata, custom ids and creator at most 1024 each
 * (https://developers.cloudflare.com/images/upload-images/).
 */
const MAX_METADATA_BYTES = 1024;
const MAX_CUSTOM_ID_CHARS = 1024;
const MAX_CREATOR_CHARS = 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Path = readonly string[];

/** Images the upstream names itself have UUIDs, and a custom id may not be one. */
export function isCustomImageId(imageId: string): boolean {
  return !UUID.test(imageId);
}

/** An existing image's id, as the upstream could have stored it; anything else is refused unsent. */
export function checkImageId(imageId: string, path: Path): string {
  if (!isAcceptableId(imageId)) {
    throw new ValidationError(`An image id is well-formed text of at most ${MAX_UPSTREAM_ID_CHARS} characters.`, path);
  }
  return imageId;
}

export function checkCustomId(id: string, path: Path): string {
  const fail = (rule: string) => new ValidationError(`A custom image id ${rule}.`, path);
  if (id === "") throw fail("must not be empty");
  if ([...id].length > MAX_CUSTOM_ID_CHARS) throw fail(`must be at most ${MAX_CUSTOM_ID_CHARS} characters`);
  if (!id.isWellFormed()) throw fail("must be valid Unicode text");
  if (id.startsWith("/") || id.endsWith("/")) throw fail("must not begin or end with /");
  if (id.includes("//")) throw fail("must not contain an empty segment (//)");
  if (UUID.test(id)) throw fail("must not be a UUID");
  return id;
}

export function checkMetadata(value: unknown, path: Path): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError("Metadata must be a JSON object.", path);
  }
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > MAX_METADATA_BYTES) {
    throw new ValidationError(`Metadata must be at most ${MAX_METADATA_BYTES} bytes as JSON (got ${bytes}).`, path);
  }
  return value as Record<string, unknown>;
}

export function checkCreator(creator: string, path: Path): string {
  if ([...creator].length > MAX_CREATOR_CHARS) {
    throw new ValidationError(`The creator must be at most ${MAX_CREATOR_CHARS} characters.`, path);
  }
  return creator;
}

export function checkName(name: string, maxChars: number, what: string, path: Path): string {
  if (name === "" || [...name].length > maxChars) {
    throw new ValidationError(`A ${what} name must be 1 to ${maxChars} characters.`, path);
  }
  return name;
}

export function checkHttpUrl(url: string, path: Path): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError("The url must be an absolute http or https URL.", path);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ValidationError("The url must be an absolute http or https URL.", path);
  }
  return url;
}

export interface ImageFieldsInput {
  id?: string | null;
  metadata?: unknown;
  creator?: string | null;
  requireSignedURLs?: boolean | null;
}

/** The fields shared by `uploadImage` and `createDirectUpload`, checked as the upstream would. */
export function checkImageFields(input: ImageFieldsInput): NewImageFields {
  const fields: NewImageFields = {};
  if (input.id != null) fields.id = checkCustomId(input.id, ["input", "id"]);
  if (input.metadata != null) fields.metadata = checkMetadata(input.metadata, ["input", "metadata"]);
  if (input.creator != null) fields.creator = checkCreator(input.creator, ["input", "creator"]);
  if (input.requireSignedURLs != null) fields.requireSignedURLs = input.requireSignedURLs;
  if (fields.requireSignedURLs && fields.id !== undefined) {
    throw new ValidationError("An image with a custom id cannot require signed URLs.", ["input", "requireSignedURLs"]);
  }
  return fields;
}
