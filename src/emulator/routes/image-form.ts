import type { EmulatorContext } from "../context.ts";
import { apiErrors } from "../errors.ts";
import { isPlainObject } from "../json-body.ts";
import { isCustomId, isUuid } from "./image-records.ts";

const MAX_CUSTOM_ID_CHARS = 1024;
const MAX_CREATOR_CHARS = 1024;

/** The image fields shared by upload and v2 direct upload. */
export interface ImageFields {
  /** A custom id, when one was given. */
  id: string | undefined;
  creator: string | null;
  meta: Record<string, unknown>;
  requireSignedURLs: boolean;
}

/** Reads and validates `id`, `creator`, `metadata` and `requireSignedURLs` of a multipart form. */
export function parseImageFields(form: FormData, ctx: EmulatorContext): ImageFields {
  const id = textField(form, "id");
  if (id !== undefined) checkCustomId(id);
  const creatorText = textField(form, "creator");
  const metadata = textField(form, "metadata");
  const requireSignedURLs = parseBooleanText(textField(form, "requireSignedURLs"), "requireSignedURLs") ?? false;
  if (requireSignedURLs && id !== undefined) throw customIdCannotBePrivate();
  return {
    id,
    creator: creatorText === undefined ? null : parseCreator(creatorText),
    meta: metadata === undefined ? {} : parseMetadataText(metadata, ctx.config.limits.maxMetadataBytes),
    requireSignedURLs,
  };
}

/** A text field given at most once; a file part where text belongs is refused. */
export function textField(form: FormData, name: string): string | undefined {
  const values = form.getAll(name);
  if (values.length > 1) throw apiErrors.badRequest(`${name} may be given only once`);
  const value = values[0];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw apiErrors.badRequest(`${name} must be a text field, not a file`);
  return value;
}

/**
 * Custom id rules (https://developers.cloudflare.com/images/upload-images/upload-custom-path/): at
 * most 1024 characters, not a UUID.
 */
export function checkCustomId(id: string): void {
  const problem = customIdProblem(id);
  if (problem) throw apiErrors.badRequest(`Custom id ${problem}`);
}

function customIdProblem(id: string): string | undefined {
  if (id === "") return "must not be empty";
  if ([...id].length > MAX_CUSTOM_ID_CHARS) return `must be at most ${MAX_CUSTOM_ID_CHARS} characters`;
  if (!id.isWellFormed()) return "must be valid UTF-8";
  if (id.startsWith("/") || id.endsWith("/")) return "must not begin or end with /";
  if (id.includes("//")) return "must not contain an empty sub-path (//)";
  if (isUuid(id)) return "must not be a UUID";
  return undefined;
}

/** An empty creator means none: the list filter `creator=` selects exactly those images. */
export function parseCreator(creator: string): string | null {
  if ([...creator].length > MAX_CREATOR_CHARS) {
    throw apiErrors.badRequest(`creator must be at most ${MAX_CREATOR_CHARS} characters`);
  }
  return creator === "" ? null : creator;
}

export function parseMetadataText(text: string, maxBytes: number): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw apiErrors.badRequest("metadata must be the JSON text of an object");
  }
  return checkMetadata(parsed, maxBytes);
}

export function checkMetadata(value: unknown, maxBytes: number): Record<string, unknown> {
  if (!isPlainObject(value)) throw apiErrors.badRequest("metadata must be a JSON object");
  const size = Buffer.byteLength(JSON.stringify(value));
  if (size > maxBytes) throw apiErrors.badRequest(`metadata must be at most ${maxBytes} bytes, got ${size}`);
  return value;
}

export function parseBooleanText(text: string | undefined, name: string): boolean | undefined {
  if (text === undefined) return undefined;
  if (text !== "true" && text !== "false") throw apiErrors.badRequest(`${name} must be true or false`);
  return text === "true";
}

/** Custom-id images cannot be private (same page; no public source gives the exact upstream error). */
export function checkPrivacyAllowed(id: string, requireSignedURLs: boolean): void {
  if (requireSignedURLs && isCustomId(id)) throw customIdCannotBePrivate();
}

function customIdCannotBePrivate() {
  return apiErrors.badRequest("Images with a custom id cannot require signed URLs");
}

/** The `file` part of an upload form, when there is one. */
export function filePart(form: FormData): File | undefined {
  const values = form.getAll("file");
  if (values.length > 1) throw apiErrors.badRequest("file may be given only once");
  const value = values[0];
  if (value === undefined) return undefined;
  if (typeof value === "string") throw apiErrors.badRequest("file must be a file part (with a filename), not text");
  return value;
}

const MAX_FILENAME_CHARS = 255;

/** Upstream file names are at most 255 characters; the end is kept, as it holds the extension. */
export function storedFilename(name: string): string {
  const chars = [...name];
  return chars.length > MAX_FILENAME_CHARS ? chars.slice(-MAX_FILENAME_CHARS).join("") : name;
}
