import { createGraphQLError } from "graphql-yoga";

/** A refusal by an abuse limit: the caller's request is at fault, and `limit` says which one. */
export function limitError(message: string, limit: string, status?: number) {
  return createGraphQLError(message, {
    extensions: { code: "BAD_USER_INPUT", limit, ...(status ? { http: { status } } : {}) },
  });
}
