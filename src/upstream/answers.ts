import { createHash } from "node:crypto";
import { errors as undiciErrors } from "undici";
import {
  errorForStatus,
  errorForUnreadableAnswer,
  UpstreamAbortedError,
  type UpstreamError,
  type UpstreamErrorItem,
  UpstreamUnavailableError,
} from "./errors.ts";
import type { RawAnswer, StreamedAnswer, UpstreamRequest } from "./http-types.ts";

interface Envelope {
  success?: boolean;
  errors?: UpstreamErrorItem[];
  result?: unknown;
}

export async function readEnvelope(answer: RawAnswer, request: UpstreamRequest): Promise<unknown> {
  const text = await answer.body.text();
  let envelope: Envelope;
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch {
    const retryAfter = retryAfterSeconds(headerValue(answer.headers["retry-after"]));
    throw errorForUnreadableAnswer(answer.status, request.route, retryAfter);
  }
  if (answer.status >= 200 && answer.status < 300 && envelope.success !== false) return envelope.result;
  throw failureOf(answer, request, Array.isArray(envelope.errors) ? envelope.errors : []);
}

export async function readStream(answer: RawAnswer, request: UpstreamRequest): Promise<StreamedAnswer> {
  if (answer.status >= 200 && answer.status < 300) {
    const length = headerValue(answer.headers["content-length"]);
    return {
      contentType: headerValue(answer.headers["content-type"]) ?? "application/octet-stream",
      contentLength: length === undefined ? undefined : Number(length),
      body: answer.body,
    };
  }
  let errors: UpstreamErrorItem[] = [];
  try {
    const envelope = JSON.parse(await answer.body.text()) as Envelope;
    if (Array.isArray(envelope.errors)) errors = envelope.errors;
  } catch {
    // A failure without an envelope still maps by its status.
  }
  throw failureOf(answer, request, errors);
}

function failureOf(answer: RawAnswer, request: UpstreamRequest, errors: UpstreamErrorItem[]): UpstreamError {
  const clean = errors.map((e) => ({ code: Number(e.code), message: String(e.message) }));
  return errorForStatus(
    answer.status,
    request.route,
    clean,
    retryAfterSeconds(headerValue(answer.headers["retry-after"])),
  );
}

function retryAfterSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The abort reason of a call's deadline, told apart from its caller going away. */
export const DEADLINE = Symbol("upstream deadline");

export function failureOfSignal(signal: AbortSignal, route: string): UpstreamError {
  if (signal.reason === DEADLINE) {
    return new UpstreamUnavailableError(`Cloudflare Images ${route} did not answer before the deadline`, route);
  }
  return aborted(route);
}

export function aborted(route: string): UpstreamAbortedError {
  return new UpstreamAbortedError(`Cloudflare Images ${route}: the request was cancelled`, route);
}

export function unavailable(route: string, error: unknown): UpstreamUnavailableError {
  const reason =
    error instanceof undiciErrors.ConnectTimeoutError
      ? "connect timeout"
      : error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError
        ? "timeout"
        : ((error as { code?: string }).code ?? "connection failure");
  return new UpstreamUnavailableError(`Cloudflare Images ${route} unreachable: ${reason}`, route);
}

/** Keys coalescing per credential without keeping the token itself in the map. */
export function fingerprint(token: string): string {
  return createHash("sha256").update(token).digest("base64url").slice(0, 16);
}
