import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import type { Plugin } from "graphql-yoga";

/** Headers that make a browser preflight the request; the ones common GraphQL clients send. */
export const CSRF_HEADERS = ["x-graphql-yoga-csrf", "apollo-require-preflight", "x-apollo-operation-name"];

/**
 * yoga's CSRF prevention for the bodies a cross-site form can send without a preflight (form,
 * multipart, text/plain): they could run mutations. A GET never runs one (yoga refuses mutations
 * over GET), so queries over GET work as urql and graphql-request send them, with no extra header.
 */
export function useFormCsrfPrevention(): Plugin {
  const prevention = useCSRFPrevention({ requestHeaders: CSRF_HEADERS });
  return {
    onRequestParse(payload) {
      if (payload.request.method === "GET") return;
      return prevention.onRequestParse?.(payload);
    },
  };
}
