import { type ApiKey, authenticateApiKey } from "./api-key.ts";
import { authenticateForward } from "./forward.ts";
import { createJwtAuthenticator, type JwtSettings } from "./jwt.ts";
import { ANONYMOUS } from "./none.ts";
import type { Viewer } from "./viewer.ts";

export { type ApiKey, parseApiKeys } from "./api-key.ts";
export { AuthenticationError } from "./errors.ts";
export { JwtKeysUnavailableError, type JwtSettings } from "./jwt.ts";
export { ALL_SCOPES, isScope, SCOPES, type Scope, type Viewer } from "./viewer.ts";

export const AUTH_MODES = ["api-key", "jwt", "forward", "none"] as const;

export type AuthSettings =
  | { readonly mode: "none" }
  | { readonly mode: "forward" }
  | { readonly mode: "api-key"; readonly keys: readonly ApiKey[] }
  | { readonly mode: "jwt"; readonly jwt: JwtSettings };

/** Who is calling: a Viewer, or an AuthenticationError (JwtKeysUnavailableError when the key set is out of reach). */
export type Authenticator = (request: Request) => Promise<Viewer>;

export function createAuthenticator(settings: AuthSettings): Authenticator {
  switch (settings.mode) {
    case "none":
      return async () => ANONYMOUS;
    case "forward":
      return async (request) => authenticateForward(request);
    case "api-key":
      return async (request) => authenticateApiKey(settings.keys, request);
    case "jwt":
      return createJwtAuthenticator(settings.jwt);
  }
}
