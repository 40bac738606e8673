import { type JWTPayload, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.ts";
import { useInProcessStack } from "../support/in-process.ts";

const ISSUER = "https://issuer.test";
const AUDIENCE = "images-graphql";
const SECRET = "a-test-only-hs256-secret-of-40-bytes-long!";
const key = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

/** A token with exactly the time claims given (none set behind the test's back). */
function sign(times: Pick<JWTPayload, "exp" | "iat" | "nbf">): Promise<string> {
  return new SignJWT({ scope: "images:read", iss: ISSUER, aud: AUDIENCE, sub: "user-42", ...times })
    .setProtectedHeader({ alg: "HS256" })
    .sign(key);
}

const stack = useInProcessStack({
  resetEmulatorBeforeEach: true,
  env: {
    AUTH_MODE: "jwt",
    JWT_SECRET: SECRET,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_MAX_AGE_SECONDS: "3600",
  },
});

const ask = async (token: string) =>
  stack.gql(`{ stats { current } }`, undefined, { authorization: `Bearer ${token}` });

describe("JWT lifetimes", () => {
  it("defaults JWT_MAX_AGE_SECONDS to one day", () => {
    const config = loadConfig({ AUTH_MODE: "jwt", JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });
    expect(config.auth.mode === "jwt" && config.auth.jwt.maxAgeSeconds).toBe(86_400);
  });

  it.each([
    ["without exp", () => sign({ iat: now() })],
    ["with exp: 1e308", () => sign({ iat: now(), exp: 1e308 })],
    ["issued in the future", () => sign({ iat: now() + 3600, exp: now() + 3900 })],
    ["living longer than JWT_MAX_AGE_SECONDS", () => sign({ iat: now(), exp: now() + 7200 })],
    ["without iat, expiring beyond JWT_MAX_AGE_SECONDS from now", () => sign({ exp: now() + 7200 })],
  ])("refuses a token %s with HTTP 401 and no upstream call", async (_label, token) => {
    const answer = await ask(await token());
    expect(answer.status).toBe(401);
    expect(answer.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("serves tokens within the lifetime, with or without iat", async () => {
    for (const token of [await sign({ iat: now() - 60, exp: now() + 1800 }), await sign({ exp: now() + 1800 })]) {
      const answer = await ask(token);
      expect(answer.errors).toBeUndefined();
      expect(answer.status).toBe(200);
    }
  });
});
