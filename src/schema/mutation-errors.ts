import {
  classifyUpstreamFailure,
  MAX_UPLOAD_BYTES,
  type RefusalReason,
  type UpstreamErrorItem,
} from "../upstream/index.ts";
import { builder } from "./builder.ts";

/** Expected failures of mutations: each becomes a member of the mutation's result union. */
export class ValidationError extends Error {
  /** The offending input field, from the argument: `["input", "metadata"]`. */
  readonly path: readonly string[];

  constructor(message: string, path: readonly string[]) {
    super(message);
    this.name = "ValidationError";
    this.path = path;
  }
}

export type ResourceKind = "IMAGE" | "VARIANT" | "SIGNING_KEY";

export class NotFoundError extends Error {
  readonly resource: ResourceKind;
  readonly id: string;

  constructor(message: string, resource: ResourceKind, id: string) {
    super(message);
    this.name = "NotFoundError";
    this.resource = resource;
    this.id = id;
  }
}

export class ConflictError extends Error {
  readonly path: readonly string[];

  constructor(message: string, path: readonly string[]) {
    super(message);
    this.name = "ConflictError";
    this.path = path;
  }
}

export type LimitKind = "FILE_SIZE" | "IMAGE_DIMENSIONS" | "VARIANT_COUNT";

export class LimitExceededError extends Error {
  readonly limit: LimitKind;
  readonly max: number | null;

  constructor(message: string, limit: LimitKind, max: number | null) {
    super(message);
    this.name = "LimitExceededError";
    this.limit = limit;
    this.max = max;
  }
}

export class UnsupportedImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedImageError";
  }
}

/** Any other refusal of the upstream, with its status and error codes. */
export class UpstreamRefusalError extends Error {
  readonly status: number | null;
  readonly errors: readonly UpstreamErrorItem[];

  constructor(message: string, status: number | null, errors: readonly UpstreamErrorItem[]) {
    super(message);
    this.name = "UpstreamRefusalError";
    this.status = status;
    this.errors = errors;
  }
}

const MutationErrorRef = builder.interfaceRef<Error>("MutationError").implement({
  description: "What every typed error of a mutation carries: a message fit to show.",
  fields: (t) => ({ message: t.exposeString("message") }),
});

const ResourceKindEnum = builder.enumType("ResourceKind", { values: ["IMAGE", "VARIANT", "SIGNING_KEY"] as const });
const LimitKindEnum = builder.enumType("LimitKind", {
  values: {
    FILE_SIZE: { description: "The file is over the upstream's size limit (10 MB)." },
    IMAGE_DIMENSIONS: { description: "The image is too large in pixels (per side, or in area)." },
    VARIANT_COUNT: { description: "The account already has the most variants allowed (100)." },
  },
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "The input is wrong; nothing was sent upstream.",
  interfaces: [MutationErrorRef],
  fields: (t) => ({
    path: t.stringList({ description: 'The offending field: `["input", "metadata"]`.', resolve: (e) => [...e.path] }),
  }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  interfaces: [MutationErrorRef],
  fields: (t) => ({
    resource: t.field({ type: ResourceKindEnum, resolve: (e) => e.resource }),
    id: t.exposeString("id", { description: "The upstream id or name that was not found." }),
  }),
});

builder.objectType(ConflictError, {
  name: "ConflictError",
  description: "The id or name is already taken.",
  interfaces: [MutationErrorRef],
  fields: (t) => ({ path: t.stringList({ resolve: (e) => [...e.path] }) }),
});

builder.objectType(LimitExceededError, {
  name: "LimitExceededError",
  interfaces: [MutationErrorRef],
  fields: (t) => ({
    limit: t.field({ type: LimitKindEnum, resolve: (e) => e.limit }),
    max: t.float({ nullable: true, description: "The limit, when known (bytes, or count).", resolve: (e) => e.max }),
  }),
});

builder.objectType(UnsupportedImageError, {
  name: "UnsupportedImageError",
  description: "The bytes are not an image format the upstream accepts (it looks at the content, not the name).",
  interfaces: [MutationErrorRef],
});

const UpstreamErrorItemRef = builder.objectRef<UpstreamErrorItem>("UpstreamErrorItem").implement({
  fields: (t) => ({ code: t.exposeInt("code"), message: t.exposeString("message") }),
});

builder.objectType(UpstreamRefusalError, {
  name: "UpstreamError",
  description: "Cloudflare Images refused the call for a reason without a type of its own.",
  interfaces: [MutationErrorRef],
  fields: (t) => ({
    status: t.int({ nullable: true, resolve: (e) => e.status }),
    errors: t.field({ type: [UpstreamErrorItemRef], resolve: (e) => [...e.errors] }),
  }),
});

/** Where a refused call was aimed, so its refusal can name the resource and the input field. */
export interface Target {
  resource: ResourceKind;
  id: string;
  /** The input field holding the id or name. */
  idPath: readonly string[];
  /** False for a create: a 404 then says nothing about the resource (a wrong account or route). */
  existing: boolean;
  /** The typed errors the mutation answers with; any other refusal becomes an `UpstreamError`. */
  errors: readonly ErrorClass[];
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Turns an upstream refusal into the typed error a form can show. Failures that are not about the
 * input (credentials, rate limits, an unreachable upstream) stay GraphQL errors with their code.
 */
export function typedRefusal(error: unknown, target: Target): unknown {
  const failure = classifyUpstreamFailure(error);
  if (failure?.kind === "notFound" && target.existing) {
    return new NotFoundError(`No ${resourceName(target)} "${target.id}" exists.`, target.resource, target.id);
  }
  if (failure?.kind !== "refused" && failure?.kind !== "failed" && failure?.kind !== "notFound") return error;
  const { status, errors } = failure.upstream;
  const detail = errors.map((e) => e.message).join("; ");
  const typed = failure.kind === "refused" && failure.reason ? typedError(failure.reason, detail, target) : undefined;
  if (typed && target.errors.some((type) => typed instanceof type)) return typed;
  return new UpstreamRefusalError(
    `Cloudflare Images refused the ${resourceName(target)} change${suffix(detail)}`,
    status ?? null,
    errors,
  );
}

function typedError(reason: RefusalReason, detail: string, target: Target): Error {
  switch (reason) {
    case "conflict":
      return new ConflictError(`A ${resourceName(target)} with the id "${target.id}" already exists.`, target.idPath);
    case "tooLarge":
      return fileTooLarge();
    case "unsupportedMedia":
      return new UnsupportedImageError(`The file is not an image the upstream accepts${suffix(detail)}`);
    case "tooManyPixels":
      return new LimitExceededError(`The image has too many pixels${suffix(detail)}`, "IMAGE_DIMENSIONS", null);
    case "variantLimit":
      return variantLimit();
  }
}

function resourceName(target: Target): string {
  return target.resource === "IMAGE" ? "image" : target.resource === "VARIANT" ? "variant" : "signing key";
}

export function fileTooLarge(maxBytes = MAX_UPLOAD_BYTES): LimitExceededError {
  return new LimitExceededError(`The file must be at most ${maxBytes} bytes.`, "FILE_SIZE", maxBytes);
}

export const MAX_VARIANTS = 100;

export function variantLimit(): LimitExceededError {
  return new LimitExceededError(`An account has at most ${MAX_VARIANTS} variants.`, "VARIANT_COUNT", MAX_VARIANTS);
}

function suffix(detail: string): string {
  return detail ? `: ${detail}` : ".";
}

/** A mutation's result: its payload itself, or one of its typed errors, as the union `name`. */
export function resultUnion(name: string, types: readonly (new (...args: never[]) => Error)[]) {
  return { types: [...types], directResult: true as const, union: { name } };
}

/** The typed errors every mutation may answer, besides its own. */
export const COMMON_ERRORS = [ValidationError, UpstreamRefusalError] as const;
/** Those of a change to something that exists. */
export const CHANGE_ERRORS = [...COMMON_ERRORS, NotFoundError] as const;
