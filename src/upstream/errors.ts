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
