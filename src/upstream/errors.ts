/** An error item of the upstream's failure envelope. */
export interface UpstreamErrorItem {
  code: number;
  message: string;
}

/**
 * Everything the upstream client can fail with. Messages name the route template, never the full
 * URL's credentials or headers, so an error can be logged or shown as it is.
 */
export class UpstreamError extends Error {
  readonly status: number | undefined;
  readonly errors: readonly UpstreamErrorItem[];
  readonly route: string;

  constructor(message: string, route: string, status?: number, errors: readonly UpstreamErrorItem[] = []) {
    super(message);
    this.name = new.target.name;
    this.route = route;
    this.status = status;
    this.errors = errors;
  }
}

/** 404: the image, variant or key does not exist. */
export class UpstreamNotFoundError extends UpstreamError {}

/** The upstream refused the credentials (missing, malformed or unknown token; 401, or 403 with code 10000). */
export class UpstreamAuthenticationError extends UpstreamError {}

/** 403 for a token that is valid but lacks the permission. */
export class UpstreamForbiddenError extends UpstreamError {}

/** 429 from the upstream, or the local budget spent before calling it. */
export class UpstreamRateLimitedError extends UpstreamError {
  /** Seconds until a call may succeed again. */
  readonly retryAfter: number;
  /** True when the local request budget refused the call and the upstream was not asked. */
  readonly local: boolean;

  constructor(
    message: string,
    route: string,
    retryAfter: number,
    options: { status?: number; errors?: readonly UpstreamErrorItem[]; local: boolean },
  ) {
    super(message, route, options.status, options.errors);
    this.retryAfter = retryAfter;
    this.local = options.local;
  }
}

/**
 * An id the upstream cannot take (ill-formed Unicode, or longer than its 1024 characters), refused
 * before the call: the caller's input is at fault.
 */
export class UpstreamInvalidIdError extends UpstreamError {}

/** Any other 4xx: the upstream's own `errors` say why (validation, conflict, too large…). */
export class UpstreamRequestError extends UpstreamError {}

/** 5xx, or an answer that is not the API's envelope. */
export class UpstreamServerError extends UpstreamError {}

/** The upstream could not be reached: refused or dropped connection, DNS failure, timeout. */
export class UpstreamUnavailableError extends UpstreamError {}

/** The caller went away (its AbortSignal fired); not an upstream fault. */
export class UpstreamAbortedError extends UpstreamError {}

/** Picks the error class for a failed HTTP answer. */
export function errorForStatus(
  status: number,
  route: string,
  errors: readonly UpstreamErrorItem[],
  retryAfter: number | undefined,
): UpstreamError {
  const summary = errors.map((e) => `${e.code} ${e.message}`).join("; ") || `HTTP ${status}`;
  const message = `Cloudflare Images ${route} failed: ${summary}`;
  if (status === 404) return new UpstreamNotFoundError(message, route, status, errors);
  if (status === 429) {
    return new UpstreamRateLimitedError(message, route, retryAfter ?? 60, { status, errors, local: false });
  }
  if (status === 401 || isAuthenticationFailure(status, errors)) {
    return new UpstreamAuthenticationError(message, route, status, errors);
  }
  if (status === 403) return new UpstreamForbiddenError(message, route, status, errors);
  if (status >= 500) return new UpstreamServerError(message, route, status, errors);
  return new UpstreamRequestError(message, route, status, errors);
}

/**
 * An answer without the API's JSON envelope (the HTTP layer's or a proxy's own page, such as a
 * 431 for an over-long URL): its status still decides, so a 4xx stays the caller's fault and is
 * never retried as if the server had failed.
 */
export function errorForUnreadableAnswer(status: number, route: string, retryAfter: number | undefined): UpstreamError {
  if (status >= 400 && status < 500) return errorForStatus(status, route, [], retryAfter);
  return new UpstreamServerError(
    `Cloudflare Images ${route} answered HTTP ${status} without a JSON envelope`,
    route,
    status,
  );
}

// 10000 "Authentication error", 9106 missing credentials, 6003 malformed headers: the codes the API
// answers for them in practice (not documented).
const AUTHENTICATION_CODES = new Set([10000, 9106, 6003]);

function isAuthenticationFailure(status: number, errors: readonly UpstreamErrorItem[]): boolean {
  return (status === 400 || status === 403) && errors.some((e) => AUTHENTICATION_CODES.has(e.code));
}

/** The status and error items of an upstream response, as the caller may see them. */
export interface UpstreamDetail {
  readonly status: number | undefined;
  readonly errors: readonly UpstreamErrorItem[];
}

/** Why the upstream refused a request (a 4xx), where its status or error code tells. */
export type RefusalReason = "conflict" | "tooLarge" | "unsupportedMedia" | "tooManyPixels" | "variantLimit";

/**
 * What a failed upstream call means, decided once here: the error policy, the mutation results,
 * readiness, the blob route and the draft watch read this instead of the error classes.
 */
export type UpstreamFailure =
  /** An id the upstream cannot take, refused before the call. */
  | { readonly kind: "invalidId" }
  | { readonly kind: "notFound"; readonly upstream: UpstreamDetail }
  | {
      readonly kind: "rateLimited";
      readonly retryAfter: number;
      /** The local budget refused the call; the upstream was not asked. */
      readonly local: boolean;
      readonly upstream: UpstreamDetail;
    }
  /** Unreachable, or no response before the deadline. */
  | { readonly kind: "unavailable" }
  /** The caller went away. */
  | { readonly kind: "cancelled" }
  /** The credentials (the server's, or the caller's own in `forward` mode) were refused. */
  | { readonly kind: "credentialsRefused"; readonly upstream: UpstreamDetail }
  | { readonly kind: "forbidden"; readonly upstream: UpstreamDetail }
  /** Any other 4xx: the request was refused, with its `reason` when known. */
  | { readonly kind: "refused"; readonly reason: RefusalReason | undefined; readonly upstream: UpstreamDetail }
  /** A 5xx, or a response that is not the API's envelope. */
  | { readonly kind: "failed"; readonly upstream: UpstreamDetail };

export type UpstreamFailureKind = UpstreamFailure["kind"];

// The emulator's code for the variant limit; no public source gives the real upstream's.
const VARIANT_LIMIT_CODE = 5470;

const REASON_BY_STATUS: Readonly<Record<number, RefusalReason>> = {
  409: "conflict",
  413: "tooLarge",
  415: "unsupportedMedia",
  422: "tooManyPixels",
};

/** Classifies a failure of the upstream client; undefined for anything that is not one. */
export function classifyUpstreamFailure(error: unknown): UpstreamFailure | undefined {
  if (!(error instanceof UpstreamError)) return undefined;
  const upstream: UpstreamDetail = { status: error.status, errors: error.errors };
  if (error instanceof UpstreamInvalidIdError) return { kind: "invalidId" };
  if (error instanceof UpstreamNotFoundError) return { kind: "notFound", upstream };
  if (error instanceof UpstreamRateLimitedError) {
    return { kind: "rateLimited", retryAfter: error.retryAfter, local: error.local, upstream };
  }
  if (error instanceof UpstreamUnavailableError) return { kind: "unavailable" };
  if (error instanceof UpstreamAbortedError) return { kind: "cancelled" };
  if (error instanceof UpstreamAuthenticationError) return { kind: "credentialsRefused", upstream };
  if (error instanceof UpstreamForbiddenError) return { kind: "forbidden", upstream };
  if (error instanceof UpstreamRequestError) return { kind: "refused", reason: refusalReason(error), upstream };
  return { kind: "failed", upstream };
}

function refusalReason(error: UpstreamRequestError): RefusalReason | undefined {
  const byStatus = error.status === undefined ? undefined : REASON_BY_STATUS[error.status];
  if (byStatus) return byStatus;
  return error.errors.some((e) => e.code === VARIANT_LIMIT_CODE) ? "variantLimit" : undefined;
}
