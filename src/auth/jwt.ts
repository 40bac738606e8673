import { createRequire } from "node:module";
import type * as Jose from "jose";
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import { AuthenticationError, bearerCredential } from "./errors.ts";
import { isScope, type Scope, type Viewer } from "./viewer.ts";

export interface JwtSettings {
  /** Exactly one of `jwksUrl` (asymmetric keys from the issuer) and `secret` (HS256). */
  readonly jwksUrl?: string;
  readonly secret?: string;
  readonly issuer: string;
  readonly audience: string;
  /** Longest lifetime accepted: `exp` minus `iat` (or minus now, without `iat`). */
  readonly maxAgeSeconds: number;
}

/** jose loads only in `AUTH_MODE=jwt`: other modes never pay for it. */
const load = createRequire(import.meta.url);

/** Clocks of the issuer and this server may disagree by this much. */
const CLOCK_TOLERANCE_SECONDS = 60;

/** The key set or secret could not be used: the server's fault, not the caller's. */
export class JwtKeysUnavailableError extends Error {
  constructor(cause: unknown) {
    super("The JWT key set could not be fetched.", { cause });
    this.name = "JwtKeysUnavailableError";
  }
}

export type JwtAuthenticator = (request: Request) => Promise<Viewer>;

/** Verifies signature, issuer, audience and expiry; scopes come from the standard `scope` claim. */
export function createJwtAuthenticator(settings: JwtSettings): JwtAuthenticator {
  const { createRemoteJWKSet, errors, jwtVerify } = load("jose") as typeof Jose;
  const key: Uint8Array | JWTVerifyGetKey = settings.secret
    ? new TextEncoder().encode(settings.secret)
    : createRemoteJWKSet(new URL(settings.jwksUrl ?? ""));
  // A JWKS never offers HMAC keys, and a shared secret is only ever HS256: no algorithm confusion.
  const algorithms = settings.secret ? ["HS256"] : ["RS256", "PS256", "ES256", "ES384", "EdDSA", "Ed25519"];
  const options = {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms,
    requiredClaims: ["exp"],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };
  // jwtVerify's overloads take either a key or a key getter, not the union of both.
  const verify = (token: string) =>
    typeof key === "function" ? jwtVerify(token, key, options) : jwtVerify(token, key, options);
  return async (request) => {
    const token = bearerCredential(request);
    let payload: JWTPayload;
    try {
      ({ payload } = await verify(token));
    } catch (error) {
      throw refusal(errors, error);
    }
    const problem = lifetimeProblem(payload, settings.maxAgeSeconds);
    if (problem) throw new AuthenticationError(problem);
    return { name: typeof payload.sub === "string" ? payload.sub : "jwt", scopes: scopesOf(payload) };
  };
}

/**
 * A stolen token must not work for long: one that claims to be issued in the future, or lives
 * longer than `maxAgeSeconds` (`exp: 1e308`), is refused. jose has already checked `exp` exists.
 */
function lifetimeProblem(payload: JWTPayload, maxAgeSeconds: number): string | undefined {
  const now = Date.now() / 1000;
  const issuedAt = payload.iat;
  if (issuedAt !== undefined && issuedAt > now + CLOCK_TOLERANCE_SECONDS) return `The token's "iat" is in the future.`;
  const lifetime = (payload.exp ?? Number.POSITIVE_INFINITY) - (issuedAt ?? now);
  if (lifetime > maxAgeSeconds + CLOCK_TOLERANCE_SECONDS) {
    return `The token lives longer than the ${maxAgeSeconds} seconds this server accepts.`;
  }
  return undefined;
}

function scopesOf(payload: JWTPayload): ReadonlySet<Scope> {
  const claim = payload.scope;
  const names = typeof claim === "string" ? claim.split(" ") : [];
  return new Set(names.filter(isScope));
}

function refusal(errors: typeof Jose.errors, error: unknown): Error {
  if (error instanceof errors.JWTExpired) return new AuthenticationError("The token has expired.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AuthenticationError(`The token's "${error.claim}" claim is not accepted.`);
  }
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError)
  ) {
    return new JwtKeysUnavailableError(error);
  }
  return new AuthenticationError("The token is not a valid JWT signed by the configured issuer.");
}
