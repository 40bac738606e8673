import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type InProcessStack, startInProcessStack, useInProcessStack } from "../support/in-process.ts";

const ISSUER = "https://issuer.test";
const AUDIENCE = "images-graphql";
const SECRET = "a-test-only-hs256-secret-of-40-bytes-long!";
const QUERY = `{ stats { current } signingKeys { name value } }`;

type Key = Parameters<SignJWT["sign"]>[0];

interface Claims {
  scope?: string;
  issuer?: string;
  audience?: string;
  expiresIn?: string | number;
}

function sign(key: Key, alg: string, claims: Claims = {}, kid?: string): Promise<string> {
  const jwt = new SignJWT(claims.scope === undefined ? {} : { scope: claims.scope })
    .setProtectedHeader(kid ? { alg, kid } : { alg })
    .setSubject("user-42")
    .setIssuedAt()
    .setIssuer(claims.issuer ?? ISSUER)
    .setAudience(claims.audience ?? AUDIENCE)
    .setExpirationTime(claims.expiresIn ?? "5m");
  return jwt.sign(key);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface Answer {
  stats: { current: number } | null;
  signingKeys: { name: string; value: string | null }[] | null;
}

/** The checks every JWT setup must pass, whichever way its keys are configured. */
function behavesLikeJwtAuth(setup: () => { stack: InProcessStack; key: Key; alg: string; kid?: string }) {
  const token = (claims?: Claims) => {
    const { key, alg, kid } = setup();
    return sign(key, alg, claims, kid);
  };

  it("serves a valid token within the scopes of its `scope` claim", async () => {
    const { stack } = setup();
    const answer = await stack.gql<Answer>(QUERY, undefined, bearer(await token({ scope: "images:read keys:read" })));
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.stats?.current).toBeGreaterThan(0);
    expect(answer.data?.signingKeys?.[0]?.value).toMatch(/\S{16,}/);
  });

  it("answers FORBIDDEN on the one field a token's scopes do not cover", async () => {
    const { stack } = setup();
    const answer = await stack.gql<Answer>(QUERY, undefined, bearer(await token({ scope: "images:read openid" })));
    expect(answer.status).toBe(200);
    expect(answer.data?.stats?.current).toBeGreaterThan(0);
    expect(answer.data?.signingKeys).toEqual([{ name: "default", value: null }]);
    expect(answer.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [["signingKeys", 0, "value"], "FORBIDDEN"],
    ]);
  });

  it("gives a token without a scope claim no scopes", async () => {
    const { stack } = setup();
    const answer = await stack.gql<Answer>(`{ stats { current } }`, undefined, bearer(await token()));
    expect(answer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await stack.emulator.counts()).toEqual({});
  });

  it.each([
    ["missing", async () => ({})],
    [
      "expired",
      async () => bearer(await token({ scope: "images:read", expiresIn: Math.floor(Date.now() / 1000) - 60 })),
    ],
    ["for another audience", async () => bearer(await token({ scope: "images:read", audience: "someone-else" }))],
    ["from another issuer", async () => bearer(await token({ scope: "images:read", issuer: "https://evil.test" }))],
    ["tampered", async () => bearer(`${await token({ scope: "images:read" })}x`)],
    ["not a JWT", async () => bearer("definitely.not.a-jwt")],
  ])("answers a %s token with HTTP 401 UNAUTHENTICATED and no upstream call", async (_label, headers) => {
    const { stack } = setup();
    const answer = await stack.gql<Answer>(QUERY, undefined, await headers());
    expect(answer.status).toBe(401);
    expect(answer.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("says a token has expired", async () => {
    const { stack } = setup();
    const expired = await token({ scope: "images:read", expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const answer = await stack.gql<Answer>(QUERY, undefined, bearer(expired));
    expect(answer.errors?.[0]?.message).toMatch(/expired/);
  });
}

describe("AUTH_MODE=jwt with JWT_SECRET (HS256)", () => {
  const key = new TextEncoder().encode(SECRET);
  const stack = useInProcessStack({
    resetEmulatorBeforeEach: true,
    emulator: { seed: true },
    env: { AUTH_MODE: "jwt", JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
  });

  behavesLikeJwtAuth(() => ({ stack, key, alg: "HS256" }));

  it("refuses a token signed with another secret", async () => {
    const other = new TextEncoder().encode(`${SECRET}-but-not-the-same`);
    const answer = await stack.gql(QUERY, undefined, bearer(await sign(other, "HS256", { scope: "images:read" })));
    expect(answer.status).toBe(401);
  });
});

describe("AUTH_MODE=jwt with JWT_JWKS_URL", () => {
  let stack: InProcessStack;
  let jwks: Server;
  let jwksRequests = 0;
  let privateKey: Key;

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    privateKey = pair.privateKey;
    const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: "key-1", alg: "ES256", use: "sig" };
    jwks = createServer((_request, response) => {
      jwksRequests++;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const { port } = jwks.address() as AddressInfo;
    stack = await startInProcessStack({
      emulator: { seed: true },
      env: {
        AUTH_MODE: "jwt",
        JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
      },
    });
  });
  afterAll(async () => {
    await stack.close();
    await new Promise((resolve) => jwks.close(resolve));
  });
  beforeEach(() => stack.emulator.reset());

  behavesLikeJwtAuth(() => ({ stack, key: privateKey, alg: "ES256", kid: "key-1" }));

  it("fetches the key set from JWT_JWKS_URL", () => {
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it("refuses a token signed by a key outside the set, and an HS256 token (no algorithm confusion)", async () => {
    const stranger = await generateKeyPair("ES256");
    const foreign = await sign(stranger.privateKey, "ES256", { scope: "images:read" }, "key-1");
    const symmetric = await sign(new TextEncoder().encode(SECRET), "HS256", { scope: "images:read" }, "key-1");
    for (const token of [foreign, symmetric]) {
      const answer = await stack.gql(QUERY, undefined, bearer(token));
      expect(answer.status).toBe(401);
      expect(answer.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
    expect(await stack.emulator.counts()).toEqual({});
  });
});

describe("AUTH_MODE=jwt with an unreachable JWT_JWKS_URL", () => {
  let stack: InProcessStack;
  beforeAll(async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    stack = await startInProcessStack({
      env: {
        AUTH_MODE: "jwt",
        JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
      },
    });
  });
  afterAll(() => stack.close());

  it("answers HTTP 503 (the server's fault), not 401, and calls no upstream", async () => {
    const pair = await generateKeyPair("ES256");
    const answer = await stack.gql(QUERY, undefined, bearer(await sign(pair.privateKey, "ES256", {}, "key-1")));
    expect(answer.status).toBe(503);
    expect(answer.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(await stack.emulator.counts()).toEqual({});
  });
});
