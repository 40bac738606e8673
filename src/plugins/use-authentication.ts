import { createGraphQLError, type Plugin } from "graphql-yoga";
import { AuthenticationError, type Authenticator, JwtKeysUnavailableError, type Viewer } from "../auth/index.ts";

const viewers = new WeakMap<Request, Viewer>();

/**
 * Authenticates every GraphQL request before its document is even parsed: no credentials, no
 * parsing, no validation, no upstream call. Refusals are HTTP 401 with code UNAUTHENTICATED.
 * GraphiQL's page and the health routes answer earlier and need no credentials.
 */
export function useAuthentication(authenticate: Authenticator): Plugin {
  return {
    async onRequestParse({ request }) {
      try {
        viewers.set(request, await authenticate(request));
      } catch (error) {
        throw refusal(error);
      }
    },
  };
}

/** The viewer `useAuthentication` found for this request. */
export function viewerOf(request: Request): Viewer {
  const viewer = viewers.get(request);
  if (!viewer) throw new Error("The request was not authenticated: is useAuthentication installed?");
  return viewer;
}

function refusal(error: unknown) {
  if (error instanceof AuthenticationError) return unauthenticated(error.message);
  if (error instanceof JwtKeysUnavailableError) {
    return createGraphQLError("Credentials cannot be checked right now; retry later.", {
      extensions: { code: "INTERNAL_SERVER_ERROR", http: { status: 503 } },
    });
  }
  throw error;
}

/** HTTP 401 with `WWW-Authenticate: Bearer`, as RFC 6750 asks of a bearer-token API. */
export function unauthenticated(message: string) {
  return createGraphQLError(message, {
    extensions: { code: "UNAUTHENTICATED", http: { status: 401, headers: { "www-authenticate": "Bearer" } } },
  });
}
