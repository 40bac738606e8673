import type { GraphQLError } from "graphql";
import { createGraphQLError } from "graphql-yoga";
import {
  MAX_UPSTREAM_ID_CHARS,
  UpstreamAbortedError,
  UpstreamAuthenticationError,
  type UpstreamError,
  UpstreamForbiddenError,
  UpstreamInvalidIdError,
  UpstreamNotFoundError,
  UpstreamRateLimitedError,
  UpstreamUnavailableError,
} from "../upstream/index.ts";

/** The firm `extensions.code` values (DESIGN §4). */
export type ErrorCode =
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "RATE_LIMITED"
  | "UPSTREAM_UNAVAILABLE"
  | "UPSTREAM_ERROR"
  | "INTERNAL_SERVER_ERROR";

export function badUserInput(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return createGraphQLError(message, { extensions: { code: "BAD_USER_INPUT", ...extensions } });
}

export function notFound(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return createGraphQLError(message, { extensions: { code: "NOT_FOUND", ...extensions } });
}

/**
 * The one place upstream failures become GraphQL errors: a firm code, a message of our own, and
 * the upstream's status and error items under `extensions.upstream`.
 */
export function upstreamErrorExtensions(error: UpstreamError): {
  message: string;
  extensions: Record<string, unknown>;
} {
  const upstream = {
    status: error.status ?? null,
    errors: error.errors.map(({ code, message }) => ({ code, message })),
  };
  if (error instanceof UpstreamInvalidIdError) {
    return {
      message: `Not an id the upstream accepts: well-formed text of at most ${MAX_UPSTREAM_ID_CHARS} characters.`,
      extensions: { code: "BAD_USER_INPUT" },
    };
  }
  if (error instanceof UpstreamNotFoundError) {
    return { message: "Not found upstream.", extensions: { code: "NOT_FOUND", upstream } };
  }
  if (error instanceof UpstreamRateLimitedError) {
    const where = error.local ? "the server's upstream request budget is spent" : "Cloudflare rate-limited the account";
    return {
      message: `Rate limited: ${where}; retry after ${error.retryAfter} s.`,
      extensions: { code: "RATE_LIMITED", retryAfter: error.retryAfter, ...(error.local ? {} : { upstream }) },
    };
  }
  if (error instanceof UpstreamUnavailableError || error instanceof UpstreamAbortedError) {
    return { message: "Cloudflare Images could not be reached.", extensions: { code: "UPSTREAM_UNAVAILABLE" } };
  }
  if (error instanceof UpstreamAuthenticationError) {
    return {
      message: "Cloudflare Images refused the server's credentials.",
      extensions: { code: "UPSTREAM_ERROR", upstream },
    };
  }
  if (error instanceof UpstreamForbiddenError) {
    return {
      message: "Cloudflare Images refused the operation for the server's credentials.",
      extensions: { code: "UPSTREAM_ERROR", upstream },
    };
  }
  return { message: "Cloudflare Images answered with an error.", extensions: { code: "UPSTREAM_ERROR", upstream } };
}
