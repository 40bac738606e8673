import type { Plugin } from "graphql-yoga";
import type { Authenticator, Viewer } from "../auth/index.ts";
import { authenticationRefusal, policyError } from "../errors.ts";

/** What useAuthentication adds to the server context, the base of the request's GraphQL context. */
export interface AuthenticatedContext {
  viewer?: Viewer;
}

/**
 * Authenticates every GraphQL request before its document is even parsed: no credentials, no
 * parsing, no validation, no upstream call. GraphiQL's page and the health routes answer earlier
 * and need no credentials.
 */
export function useAuthentication(authenticate: Authenticator): Plugin {
  return {
    async onRequestParse({ request, serverContext }) {
      try {
        (serverContext as AuthenticatedContext).viewer = await authenticate(request);
      } catch (error) {
        const refusal = authenticationRefusal(error);
        if (!refusal) throw error;
        throw policyError(refusal.kind, refusal.message);
      }
    },
  };
}

/** The viewer `useAuthentication` found for this request. */
export function viewerOf(context: AuthenticatedContext): Viewer {
  if (!context.viewer) throw new Error("The request was not authenticated: is useAuthentication installed?");
  return context.viewer;
}
