import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.ts";
import { spawnServer } from "../support/spawn.ts";

const REAL = { CLOUDFLARE_API_TOKEN: "real-token-value", CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef" };
const DIGEST = createHash("sha256").update("some-secret").digest("hex");

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return "";
}

describe("secure by default", () => {
  it("refuses real Cloudflare credentials without AUTH_MODE, naming AUTH_MODE", () => {
    expect(problemsOf(REAL)).toMatch(/AUTH_MODE is required/);
  });

  it("refuses AUTH_MODE=none with real credentials unless ALLOW_UNAUTHENTICATED=true", () => {
    expect(problemsOf({ ...REAL, AUTH_MODE: "none" })).toMatch(/ALLOW_UNAUTHENTICATED=true/);
    expect(problemsOf({ ...REAL, AUTH_MODE: "none", ALLOW_UNAUTHENTICATED: "yes" })).toMatch(
      /ALLOW_UNAUTHENTICATED must be true or false/,
    );
    expect(loadConfig({ ...REAL, AUTH_MODE: "none", ALLOW_UNAUTHENTICATED: "true" }).auth.mode).toBe("none");
  });

  it("defaults to none with the embedded emulator, with GraphiQL and introspection on", () => {
    const config = loadConfig({});
    expect(config.auth.mode).toBe("none");
    expect(config.limits.graphiql).toBe(true);
    expect(config.limits.introspection).toBe(true);
  });

  it("turns GraphiQL and introspection off by default with real credentials", () => {
    const config = loadConfig({ ...REAL, AUTH_MODE: "api-key", API_KEYS: `ci:${DIGEST}:images:read` });
    expect(config.limits.graphiql).toBe(false);
    expect(config.limits.introspection).toBe(false);
  });

  it("names every bad auth setting, without repeating a key's digest", () => {
    const message = problemsOf({
      AUTH_MODE: "api-key",
      API_KEYS: `good:${DIGEST}:images:read+keys:read,bad name:${DIGEST}:images:read,short:abc:images:read,odd:${DIGEST}:images:delete,missing-parts`,
    });
    expect(message).toMatch(/API_KEYS entry 2 has a bad name/);
    expect(message).toMatch(/API_KEYS entry 3 \(short\): the secret's SHA-256 must be 64 hex digits/);
    expect(message).toMatch(/API_KEYS entry 4 \(odd\): unknown scope\(s\) "images:delete"/);
    expect(message).toMatch(/API_KEYS entry 5 must be <name>:<sha256-hex-of-secret>/);
    expect(message).not.toMatch(/entry 1/);
    expect(message).not.toContain(DIGEST);
    expect(problemsOf({ AUTH_MODE: "api-key" })).toMatch(/API_KEYS is required/);
    expect(problemsOf({ AUTH_MODE: "basic" })).toMatch(/AUTH_MODE must be one of api-key, jwt, forward, none/);
  });

  it("asks jwt mode for exactly one key source, an issuer, an audience and a long enough secret", () => {
    const message = problemsOf({ AUTH_MODE: "jwt", JWT_SECRET: "short" });
    expect(message).toMatch(/JWT_SECRET must be at least 32 bytes/);
    expect(message).toMatch(/JWT_ISSUER is required/);
    expect(message).toMatch(/JWT_AUDIENCE is required/);
    expect(message).not.toContain('short"');
    expect(problemsOf({ AUTH_MODE: "jwt", JWT_ISSUER: "i", JWT_AUDIENCE: "a" })).toMatch(
      /exactly one of JWT_JWKS_URL and JWT_SECRET/,
    );
    expect(problemsOf({ AUTH_MODE: "jwt", JWT_ISSUER: "i", JWT_AUDIENCE: "a", JWT_JWKS_URL: "ftp://x" })).toMatch(
      /JWT_JWKS_URL must be an http\(s\) URL/,
    );
  });

  it("names each bad limit", () => {
    const message = problemsOf({ MAX_DEPTH: "0", MAX_UPLOAD_BYTES: String(11 * 1024 * 1024), GRAPHIQL: "on" });
    expect(message).toMatch(/MAX_DEPTH must be an integer/);
    expect(message).toMatch(/MAX_UPLOAD_BYTES must be an integer from 1 to 10485760/);
    expect(message).toMatch(/GRAPHIQL must be true or false/);
    expect(problemsOf({ TRUSTED_DOCUMENTS_FILE: "/nonexistent/documents.json" })).toMatch(
      /TRUSTED_DOCUMENTS_FILE could not be read/,
    );
  });

  it("npm start exits with a message naming AUTH_MODE when given real credentials and no AUTH_MODE", async () => {
    const child = spawnServer({ PORT: "0", ...REAL });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(output).toContain("AUTH_MODE");
    expect(output).not.toContain("GraphiQL:");
    expect(output).not.toContain(REAL.CLOUDFLARE_API_TOKEN);
  });
});
