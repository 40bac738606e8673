import { bearerCredential } from "./errors.ts";
import { ALL_SCOPES, type Viewer } from "./viewer.ts";

/**
 * The caller's own Cloudflare token: the upstream decides what it may do, so every scope is
 * granted here and a token the upstream refuses answers UNAUTHENTICATED on first use.
 */
export function authenticateForward(request: Request): Viewer {
  return { name: "forwarded-token", scopes: ALL_SCOPES, upstreamToken: bearerCredential(request) };
}
