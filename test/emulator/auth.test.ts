import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(() => emulator.close());

async function call(method: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${emulator.baseUrl}${path}`, { method, headers });
  const body = (await response.json()) as {
    success: boolean;
    result: unknown;
    errors: { code: number; message: string; error_chain?: { code: number }[] }[];
  };
  return { status: response.status, body };
}

const statsPath = () => `/accounts/${emulator.accountId}/images/v1/stats`;
const bearer = () => ({ authorization: `Bearer ${emulator.token}` });

describe("authentication and routing", () => {
  it("answers 200 with the right bearer token", async () => {
    const answer = await call("GET", statsPath(), bearer());
    expect(answer.status).toBe(200);
    expect(answer.body.success).toBe(true);
  });

  it("refuses a request without credentials with 400/9106", async () => {
    const answer = await call("GET", statsPath());
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ success: false, result: null, errors: [{ code: 9106 }] });
  });

  it.each([
    ["another scheme", "Basic dXNlcjpwYXNz"],
    ["a bearer without a token", "Bearer"],
    ["a token with spaces", `Bearer a b`],
  ])("refuses a malformed Authorization header (%s) with 400/6003 and its error chain", async (_case, header) => {
    const answer = await call("GET", statsPath(), { authorization: header });
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]?.code).toBe(6003);
    expect(answer.body.errors[0]?.error_chain?.[0]?.code).toBe(6111);
  });

  it("refuses a wrong token with 403/10000", async () => {
    const answer = await call("GET", statsPath(), { authorization: "Bearer not-the-token" });
    expect(answer.status).toBe(403);
    expect(answer.body.errors[0]?.code).toBe(10000);
  });

  it("refuses another well-formed account id with 403/10000", async () => {
    const other = "f".repeat(32);
    expect(other).not.toBe(emulator.accountId);
    const answer = await call("GET", `/accounts/${other}/images/v1/stats`, bearer());
    expect(answer.status).toBe(403);
    expect(answer.body.errors[0]?.code).toBe(10000);
  });

  it("refuses a malformed account id with 400/7003", async () => {
    const answer = await call("GET", "/accounts/not-an-account/images/v1/stats", bearer());
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0]?.code).toBe(7003);
  });

  it("answers an unknown route with 404/7000", async () => {
    const answer = await call("GET", `/accounts/${emulator.accountId}/images/v9/nothing/here/at/all`, bearer());
    expect(answer.status).toBe(404);
    expect(answer.body.errors[0]?.code).toBe(7000);
  });

  it("answers a known route with the wrong method with 405/10405", async () => {
    // Not DELETE: `DELETE /v1/stats` is a delete of the image with id "stats", as upstream.
    const answer = await call("POST", statsPath(), bearer());
    expect(answer.status).toBe(405);
    expect(answer.body.errors[0]?.code).toBe(10405);
  });

  it("accepts the X-Auth-Email + X-Auth-Key pair with the token as the key", async () => {
    const answer = await call("GET", statsPath(), { "x-auth-email": "dev@example.com", "x-auth-key": emulator.token });
    expect(answer.status).toBe(200);
  });

  it("refuses the key pair with a wrong key or without the email", async () => {
    const wrongKey = await call("GET", statsPath(), { "x-auth-email": "dev@example.com", "x-auth-key": "nope" });
    expect(wrongKey.status).toBe(403);
    expect(wrongKey.body.errors[0]?.code).toBe(10000);
    const noEmail = await call("GET", statsPath(), { "x-auth-key": emulator.token });
    expect(noEmail.status).toBe(403);
  });

  it("checks credentials before routing and accounts, as the real API does", async () => {
    const unknownRoute = await call("GET", `/accounts/${emulator.accountId}/images/v9/nothing`);
    expect(unknownRoute.body.errors[0]?.code).toBe(9106);
    const otherAccount = await call("GET", `/accounts/${"e".repeat(32)}/images/v1/stats`, {
      authorization: "Bearer x",
    });
    expect(otherAccount.status).toBe(403);
  });
});
