import { UpstreamServerError } from "./errors.ts";

/** Domain types: the upstream's JSON parsed once, here at the edge. */
export interface Image {
  id: string;
  filename: string | null;
  creator: string | null;
  meta: Record<string, unknown>;
  requireSignedURLs: boolean;
  uploaded: Date | null;
  /** One delivery URL per variant of the account, with the variant's name. */
  variants: ImageVariantUrl[];
  draft: boolean;
}

export interface ImageVariantUrl {
  name: string;
  url: string;
}

export type VariantFit = "scale-down" | "contain" | "cover" | "crop" | "pad";
export type VariantMetadata = "keep" | "copyright" | "none";

export interface VariantOptions {
  fit: VariantFit;
  metadata: VariantMetadata;
  width: number;
  height: number;
}

export interface Variant {
  id: string;
  options: VariantOptions;
  neverRequireSignedURLs: boolean;
}

export interface SigningKey {
  name: string;
  value: string;
}

export interface Stats {
  allowed: number;
  current: number;
}

export interface ImagePage {
  images: Image[];
  /** Null on the last page. */
  continuationToken: string | null;
}

export interface DirectUpload {
  id: string;
  uploadURL: string;
}

type Json = Record<string, unknown>;

export function parseImage(raw: unknown, route: string): Image {
  const o = object(raw, route);
  const id = o.id;
  if (typeof id !== "string") throw malformed(route, "an image without an id");
  const uploaded = typeof o.uploaded === "string" ? new Date(o.uploaded) : null;
  return {
    id,
    filename: typeof o.filename === "string" ? o.filename : null,
    creator: typeof o.creator === "string" ? o.creator : null,
    meta: isObject(o.meta) ? o.meta : isObject(o.metadata) ? o.metadata : {},
    requireSignedURLs: o.requireSignedURLs === true,
    uploaded: uploaded && !Number.isNaN(uploaded.getTime()) ? uploaded : null,
    variants: Array.isArray(o.variants) ? o.variants.filter((v) => typeof v === "string").map(variantUrl) : [],
    draft: o.draft === true,
  };
}

/** The variant of a delivery URL is its last path segment (`…/<account_hash>/<image_id>/<variant>`). */
function variantUrl(url: string): ImageVariantUrl {
  const last = new URL(url).pathname.split("/").pop() ?? "";
  return { name: decodeURIComponent(last), url };
}

export function parseImageList(raw: unknown, route: string): ImagePage {
  const o = object(raw, route);
  const images = Array.isArray(o.images) ? o.images.map((i) => parseImage(i, route)) : [];
  const token = o.continuation_token;
  return { images, continuationToken: typeof token === "string" && token !== "" ? token : null };
}

export function parseVariant(raw: unknown, route: string): Variant {
  const o = object(raw, route);
  const options = object(o.options, route);
  if (typeof o.id !== "string") throw malformed(route, "a variant without an id");
  return {
    id: o.id,
    options: {
      fit: String(options.fit) as VariantFit,
      metadata: String(options.metadata) as VariantMetadata,
      width: Number(options.width),
      height: Number(options.height),
    },
    neverRequireSignedURLs: o.neverRequireSignedURLs === true,
  };
}

/** `{variant: Variant}` of create, get and update. */
export function parseWrappedVariant(raw: unknown, route: string): Variant {
  return parseVariant(object(raw, route).variant, route);
}

/** `{variants: {<name>: Variant}}` of the list. */
export function parseVariantMap(raw: unknown, route: string): Variant[] {
  const variants = object(object(raw, route).variants ?? {}, route);
  return Object.values(variants).map((v) => parseVariant(v, route));
}

export function parseKeys(raw: unknown, route: string): SigningKey[] {
  const keys = object(raw, route).keys;
  if (!Array.isArray(keys)) throw malformed(route, "no key list");
  return keys.map((k) => {
    const key = object(k, route);
    return { name: String(key.name), value: String(key.value) };
  });
}

export function parseStats(raw: unknown, route: string): Stats {
  const count = object(object(raw, route).count, route);
  return { allowed: Number(count.allowed), current: Number(count.current) };
}

export function parseDirectUpload(raw: unknown, route: string): DirectUpload {
  const o = object(raw, route);
  if (typeof o.id !== "string" || typeof o.uploadURL !== "string") throw malformed(route, "no id or uploadURL");
  return { id: o.id, uploadURL: o.uploadURL };
}

function object(raw: unknown, route: string): Json {
  if (!isObject(raw)) throw malformed(route, "a result that is not an object");
  return raw;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function malformed(route: string, what: string): UpstreamServerError {
  return new UpstreamServerError(`Cloudflare Images ${route} answered ${what}`, route);
}
