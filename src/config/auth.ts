import { AUTH_MODES, type AuthSettings, parseApiKeys } from "../auth/index.ts";
import { declareVariables, type EnvReader } from "./env-reader.ts";

export const AUTH_VARIABLES = declareVariables({
  AUTH_MODE: {
    type: "choice",
    values: AUTH_MODES,
    defaultText: "`none` with the emulator; required with real credentials",
    description: "Who may call: API keys, JWTs, the caller's own Cloudflare token (`forward`), or anyone.",
  },
  ALLOW_UNAUTHENTICATED: {
    type: "boolean",
    default: false,
    description: "Must be `true` for AUTH_MODE=none with real credentials (anyone reaching the server may then write).",
  },
  API_KEYS: {
    type: "text",
    format: "`<name>:<sha256-hex-of-secret>:<scope>[+<scope>…]`, comma-separated",
    description: "`api-key` mode: the keys, by the SHA-256 of their secrets.",
  },
  JWT_JWKS_URL: {
    type: "url",
    description: "`jwt` mode, asymmetric keys: the issuer's JWKS (exactly one of this and JWT_SECRET).",
  },
  JWT_SECRET: {
    type: "text",
    format: "at least 32 bytes",
    secret: true,
    description: "`jwt` mode, HS256: the shared secret.",
  },
  JWT_ISSUER: { type: "text", format: "text", description: "`jwt` mode: the required `iss`." },
  JWT_AUDIENCE: { type: "text", format: "text", description: "`jwt` mode: the required `aud`." },
  JWT_MAX_AGE_SECONDS: {
    type: "integer",
    default: 86_400,
    min: 60,
    max: 31_536_000,
    description: "`jwt` mode: the longest a token may live (`exp` − `iat`, or `exp` − now).",
  },
});

export function readAuthConfig(read: EnvReader, { realCredentials }: { realCredentials: boolean }): AuthSettings {
  const v = AUTH_VARIABLES;
  const given = read.raw(v.AUTH_MODE);
  const mode = AUTH_MODES.find((m) => m === given);
  if (given !== undefined && mode === undefined) {
    read.problem(`AUTH_MODE must be one of ${AUTH_MODES.join(", ")} (got "${given}")`);
  }
  const allowUnauthenticated = read.boolean(v.ALLOW_UNAUTHENTICATED);
  if (mode === undefined) {
    if (realCredentials && given === undefined) {
      read.problem(
        "AUTH_MODE is required with real Cloudflare credentials: api-key, jwt or forward " +
          "(or none with ALLOW_UNAUTHENTICATED=true, which lets anyone reach the account)",
      );
    }
    return { mode: "none" };
  }
  if (mode === "none" && realCredentials && !allowUnauthenticated) {
    read.problem("AUTH_MODE=none with real Cloudflare credentials also needs ALLOW_UNAUTHENTICATED=true");
  }
  if (mode === "api-key") {
    const raw = read.text(v.API_KEYS);
    if (raw === undefined) read.problem("API_KEYS is required when AUTH_MODE=api-key");
    const problems: string[] = [];
    const keys = raw === undefined ? [] : parseApiKeys(raw, problems);
    for (const problem of problems) read.problem(problem);
    return { mode, keys };
  }
  if (mode === "jwt") {
    const jwksUrl = read.url(v.JWT_JWKS_URL);
    const secret = read.text(v.JWT_SECRET);
    const issuer = read.text(v.JWT_ISSUER) ?? "";
    const audience = read.text(v.JWT_AUDIENCE) ?? "";
    if ((jwksUrl === undefined) === (secret === undefined)) {
      read.problem("AUTH_MODE=jwt needs exactly one of JWT_JWKS_URL and JWT_SECRET");
    }
    // RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
    if (secret !== undefined && Buffer.byteLength(secret) < 32) read.problem("JWT_SECRET must be at least 32 bytes");
    if (!issuer) read.problem("JWT_ISSUER is required when AUTH_MODE=jwt");
    if (!audience) read.problem("JWT_AUDIENCE is required when AUTH_MODE=jwt");
    const maxAgeSeconds = read.integer(v.JWT_MAX_AGE_SECONDS);
    return { mode, jwt: { ...(secret ? { secret } : { jwksUrl }), issuer, audience, maxAgeSeconds } };
  }
  return { mode };
}
