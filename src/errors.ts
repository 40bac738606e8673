import { type ASTNode, GraphQLError, type Source } from "graphql";
import { createGraphQLError } from "graphql-yoga";
import { AuthenticationError, JwtKeysUnavailableError } from "./auth/index.ts";
import {
  classifyUpstreamFailure,
  MAX_UPSTREAM_ID_CHARS,
  type UpstreamDetail,
  type UpstreamFailure,
} from "./upstream/index.ts";

/** The firm `extensions.code` values of the contract; the facade spells them here only. */
export type ErrorCode =
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "RATE_LIMITED"
  | "UPSTREAM_UNAVAILABLE"
  | "UPSTREAM_ERROR"
  | "INTERNAL_SERVER_ERROR";

interface Rule {
  readonly code: ErrorCode;
  /** The status of a plain-HTTP answer, and of a GraphQL answer refused before execution. */
  readonly status: number;
  /** What the caller reads when the failure has no more precise message of its own. */
  readonly message: string;
  /** Set on the GraphQL error as well: the request is refused as a whole, not field by field. */
  readonly httpStatusOnGraphQL?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Every failure of the facade is one of these kinds, each with one code, status and message. */
export const ERROR_POLICY = {
  input: { code: "BAD_USER_INPUT", status: 400, message: "The request is not valid." },
  limit: { code: "BAD_USER_INPUT", status: 400, message: "The request is over a limit." },
  upload: { code: "BAD_USER_INPUT", status: 400, message: "The upload could not be read.", httpStatusOnGraphQL: true },
  notFound: { code: "NOT_FOUND", status: 404, message: "Not found." },
  authentication: {
    code: "UNAUTHENTICATED",
    status: 401,
    message: "Send valid credentials.",
    httpStatusOnGraphQL: true,
    // RFC 6750 asks a bearer-token API to name its scheme on a 401.
    headers: { "www-authenticate": "Bearer" },
  },
  /** The credentials could not be checked (the JWT issuer's keys are unreachable): not the caller's fault. */
  authenticationUnavailable: {
    code: "INTERNAL_SERVER_ERROR",
    status: 503,
    message: "Credentials cannot be checked right now; retry later.",
    httpStatusOnGraphQL: true,
  },
  authorization: { code: "FORBIDDEN", status: 403, message: "Your credentials do not allow this." },
  rateLimited: { code: "RATE_LIMITED", status: 429, message: "Rate limited; retry later." },
  upstreamUnavailable: {
    code: "UPSTREAM_UNAVAILABLE",
    status: 502,
    message: "Cloudflare Images could not be reached.",
  },
  /** The server sheds load (memory or event-loop pressure): a fast refusal the caller retries, `reason: OVERLOADED`. */
  overloaded: {
    code: "UPSTREAM_UNAVAILABLE",
    status: 503,
    message: "The server is overloaded; retry later.",
    httpStatusOnGraphQL: true,
  },
  upstream: { code: "UPSTREAM_ERROR", status: 502, message: "Cloudflare Images answered with an error." },
  unexpected: { code: "INTERNAL_SERVER_ERROR", status: 500, message: "Unexpected error." },
  /** Plain-HTTP routes only (GraphQL's own method checks are yoga's): the caller's mistake, so the input code. */
  method: { code: "BAD_USER_INPUT", status: 405, message: "Use GET." },
} as const satisfies Record<string, Rule>;

export type ErrorKind = keyof typeof ERROR_POLICY;

/** A failure classified: its kind, the message fit to show, and extensions beside the code. */
export interface Refusal {
  readonly kind: ErrorKind;
  readonly message: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export interface ErrorOptions {
  extensions?: Readonly<Record<string, unknown>>;
  /** Overrides the kind's status and sets it on the GraphQL error (a body refused by its size: 413). */
  status?: number;
  nodes?: readonly ASTNode[] | ASTNode | undefined;
  source?: Source | undefined;
  positions?: readonly number[] | undefined;
  path?: readonly (string | number)[] | undefined;
}

/** The GraphQL error for a failure of this kind: `createGraphQLError` with the policy's code. */
export function policyError(kind: ErrorKind, message: string, options: ErrorOptions = {}): GraphQLError {
  const rule: Rule = ERROR_POLICY[kind];
  const { extensions, status, ...location } = options;
  const http =
    status !== undefined || rule.httpStatusOnGraphQL
      ? { http: { status: status ?? rule.status, ...(rule.headers ? { headers: { ...rule.headers } } : {}) } }
      : {};
  const all: Record<string, unknown> = { code: rule.code, ...extensions, ...http };
  // First in the answer, and never one carried over from the error being masked.
  all.code = rule.code;
  return createGraphQLError(message, { ...location, extensions: all });
}

export function inputError(message: string, extensions?: Record<string, unknown>): GraphQLError {
  return policyError("input", message, { extensions });
}

export function notFoundError(message: string, extensions?: Record<string, unknown>): GraphQLError {
  return policyError("notFound", message, { extensions });
}

/** A refusal by an abuse limit: the caller's request is at fault, and `limit` says which one. */
export function limitError(
  message: string,
  limit: string,
  options: { status?: number; extensions?: Record<string, unknown> } = {},
): GraphQLError {
  return policyError("limit", message, { status: options.status, extensions: { limit, ...options.extensions } });
}

export function forbiddenError(message: string): GraphQLError {
  return policyError("authorization", message);
}

/** Why the authenticator refused a request, or undefined for a failure that is not a refusal. */
export function authenticationRefusal(error: unknown): Refusal | undefined {
  if (error instanceof AuthenticationError) return { kind: "authentication", message: error.message };
  if (error instanceof JwtKeysUnavailableError) {
    return { kind: "authenticationUnavailable", message: ERROR_POLICY.authenticationUnavailable.message };
  }
  return undefined;
}

/** Failures the policy knows how to explain; anything else is unexpected and never explained. */
export function classify(error: unknown, options: { forward: boolean }): Refusal | undefined {
  const refused = authenticationRefusal(error);
  if (refused) return refused;
  const failure = classifyUpstreamFailure(error);
  return failure && upstreamRefusal(failure, options);
}

/**
 * Upstream failures get a message of our own, with the upstream's status and error items under
 * `extensions.upstream`.
 */
export function upstreamRefusal(failure: UpstreamFailure, options: { forward: boolean }): Refusal {
  switch (failure.kind) {
    case "invalidId":
      return {
        kind: "input",
        message: `Not an id the upstream accepts: well-formed text of at most ${MAX_UPSTREAM_ID_CHARS} characters.`,
      };
    case "notFound":
      return { kind: "notFound", message: "Not found upstream.", extensions: upstreamExtension(failure.upstream) };
    case "rateLimited": {
      const { local, retryAfter } = failure;
      const where = local ? "the server's upstream request budget is spent" : "Cloudflare rate-limited the account";
      return {
        kind: "rateLimited",
        message: `Rate limited: ${where}; retry after ${retryAfter} s.`,
        extensions: { retryAfter, ...(local ? {} : upstreamExtension(failure.upstream)) },
      };
    }
    case "unavailable":
    case "cancelled":
      return { kind: "upstreamUnavailable", message: ERROR_POLICY.upstreamUnavailable.message };
    case "credentialsRefused":
      // In `forward` mode the upstream judges the caller's own token, so its refusal is the caller's.
      if (options.forward) return { kind: "authentication", message: "Cloudflare Images refused your token." };
      return {
        kind: "upstream",
        message: "Cloudflare Images refused the server's credentials.",
        extensions: upstreamExtension(failure.upstream),
      };
    case "forbidden":
      return {
        kind: "upstream",
        message: "Cloudflare Images refused the operation for the server's credentials.",
        extensions: upstreamExtension(failure.upstream),
      };
    case "refused":
    case "failed":
      return {
        kind: "upstream",
        message: ERROR_POLICY.upstream.message,
        extensions: upstreamExtension(failure.upstream),
      };
  }
}

function upstreamExtension({ status, errors }: UpstreamDetail): Record<string, unknown> {
  return { upstream: { status: status ?? null, errors: errors.map(({ code, message }) => ({ code, message })) } };
}

/** The same refusal as a plain-HTTP answer (`{ "error": { code, message, … } }`), for routes outside GraphQL. */
export function refusalResponse(refusal: Refusal, status?: number): Response {
  const rule: Rule = ERROR_POLICY[refusal.kind];
  return new Response(JSON.stringify({ error: { code: rule.code, message: refusal.message, ...refusal.extensions } }), {
    status: status ?? rule.status,
    headers: { "content-type": "application/json; charset=utf-8", ...rule.headers },
  });
}

/** yoga's own codes for a request the caller got wrong; the contract has one code for them all. */
const YOGA_INPUT_CODES: ReadonlySet<string> = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "REQUEST_ENTITY_TOO_LARGE",
]);

/**
 * yoga's `maskError`, and the masking of validation errors (useErrorPolicy): known failures get
 * their firm code and message, the caller's malformed documents BAD_USER_INPUT, and anything
 * unexpected is masked, never explained.
 */
export function maskError(error: unknown, message: string, options: { forward: boolean }): GraphQLError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const graphqlError = error instanceof GraphQLError ? error : undefined;
  const location = {
    nodes: graphqlError?.nodes,
    path: graphqlError?.path,
    source: graphqlError?.source,
    positions: graphqlError?.positions,
  };
  const refusal = classify(original, options);
  if (refusal) return policyError(refusal.kind, refusal.message, { ...location, extensions: refusal.extensions });
  if (graphqlError && (original === undefined || original instanceof GraphQLError)) {
    const code = graphqlError.extensions.code;
    if (code && !YOGA_INPUT_CODES.has(String(code))) return graphqlError;
    // Parse, validation and variable errors: the caller's document is at fault.
    return policyError("input", graphqlError.message, { ...location, extensions: graphqlError.extensions });
  }
  return policyError("unexpected", message, location);
}
