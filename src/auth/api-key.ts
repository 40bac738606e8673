import { createHash, timingSafeEqual } from "node:crypto";
import { AuthenticationError, bearerCredential } from "./errors.ts";
import { isScope, type Scope, type Viewer } from "./viewer.ts";

/** One entry of `API_KEYS`: only the SHA-256 of the secret is configured, never the secret. */
export interface ApiKey {
  readonly name: string;
  readonly digest: Buffer;
  readonly scopes: ReadonlySet<Scope>;
}

/**
 * Parses `API_KEYS` = `<name>:<sha256-hex-of-secret>:<scope>[+<scope>…]`, comma-separated.
 * Problems are reported by entry position and name, never with the digest.
 */
export function parseApiKeys(raw: string, problems: string[]): ApiKey[] {
  const keys: ApiKey[] = [];
  const entries = raw.split(",").map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const at = `API_KEYS entry ${index + 1}`;
    // Scopes contain ':' themselves, so the entry splits at the first two colons only.
    const first = entry.indexOf(":");
    const second = entry.indexOf(":", first + 1);
    if (first === -1 || second === -1) {
      problems.push(`${at} must be <name>:<sha256-hex-of-secret>:<scope>[+<scope>…]`);
      return;
    }
    const name = entry.slice(0, first);
    const digest = entry.slice(first + 1, second);
    const scopeList = entry.slice(second + 1);
    if (!/^[\w.-]{1,64}$/.test(name)) {
      problems.push(`${at} has a bad name: 1 to 64 letters, digits, '_', '.' or '-'`);
      return;
    }
    if (!/^[0-9a-fA-F]{64}$/.test(digest)) {
      problems.push(`${at} (${name}): the secret's SHA-256 must be 64 hex digits`);
      return;
    }
    const scopes = scopeList.split("+").map((s) => s.trim());
    const unknown = scopes.filter((s) => !isScope(s));
    if (unknown.length > 0 || scopes.length === 0) {
      problems.push(`${at} (${name}): unknown scope(s) ${unknown.map((s) => `"${s}"`).join(", ")}`);
      return;
    }
    if (keys.some((k) => k.name === name)) problems.push(`${at}: the name "${name}" is used twice`);
    keys.push({ name, digest: Buffer.from(digest, "hex"), scopes: new Set(scopes.filter(isScope)) });
  });
  return keys;
}

/** Compares the presented secret's digest with every configured digest in constant time. */
export function authenticateApiKey(keys: readonly ApiKey[], request: Request): Viewer {
  const presented = createHash("sha256").update(bearerCredential(request)).digest();
  let match: ApiKey | undefined;
  // No early exit: the time taken does not tell which entry (if any) matched.
  for (const key of keys) {
    if (timingSafeEqual(presented, key.digest) && !match) match = key;
  }
  if (!match) throw new AuthenticationError("Unknown API key.");
  return { name: match.name, scopes: match.scopes };
}
