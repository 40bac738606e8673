import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { AuthenticationError, JwtKeysUnavailableError } from "../../src/auth/index.ts";
import { classify, ERROR_POLICY, maskError, policyError, refusalResponse } from "../../src/errors.ts";
import {
  UpstreamAuthenticationError,
  UpstreamInvalidIdError,
  UpstreamNotFoundError,
  UpstreamRateLimitedError,
  UpstreamServerError,
  UpstreamUnavailableError,
} from "../../src/upstream/index.ts";
import { FIRM_CODES } from "../support/contract.ts";

const ROUTE = "/accounts/{account_id}/images/v1/{image_id}";

describe("the error policy", () => {
  it("maps every kind to a firm code, plain routes included, and covers every firm code", () => {
    const codes = new Set(Object.values(ERROR_POLICY).map((rule) => rule.code));
    expect([...codes].sort()).toEqual([...FIRM_CODES].sort());
  });

  it("classifies upstream failures by their kind, with their status for plain-HTTP answers", () => {
    const cases = [
      [new UpstreamNotFoundError("x", ROUTE, 404), "NOT_FOUND", 404],
      [new UpstreamRateLimitedError("x", ROUTE, 7, { status: 429, local: false }), "RATE_LIMITED", 429],
      [new UpstreamUnavailableError("x", ROUTE), "UPSTREAM_UNAVAILABLE", 502],
      [new UpstreamServerError("x", ROUTE, 500), "UPSTREAM_ERROR", 502],
      [new UpstreamInvalidIdError("x", ROUTE), "BAD_USER_INPUT", 400],
      [new UpstreamAuthenticationError("x", ROUTE, 401), "UPSTREAM_ERROR", 502],
    ] as const;
    for (const [error, code, status] of cases) {
      const refusal = classify(error, { forward: false });
      expect(refusal && ERROR_POLICY[refusal.kind].code).toBe(code);
      expect(refusal && refusalResponse(refusal).status).toBe(status);
    }
  });

  it("makes the upstream's refusal of the caller's own token UNAUTHENTICATED in forward mode only", () => {
    const error = new UpstreamAuthenticationError("x", ROUTE, 401);
    expect(classify(error, { forward: true })?.kind).toBe("authentication");
    expect(classify(error, { forward: false })?.kind).toBe("upstream");
  });

  it("answers authentication refusals with 401 and a Bearer challenge, unreachable keys with 503", async () => {
    const refusal = classify(new AuthenticationError("Send credentials."), { forward: false });
    if (!refusal) throw new Error("an authentication refusal must be classified");
    const refused = refusalResponse(refusal);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe("Bearer");
    expect(await refused.json()).toEqual({ error: { code: "UNAUTHENTICATED", message: "Send credentials." } });
    const unchecked = classify(new JwtKeysUnavailableError("keys down"), { forward: false });
    expect(unchecked && policyError(unchecked.kind, unchecked.message).extensions).toMatchObject({
      code: "INTERNAL_SERVER_ERROR",
      http: { status: 503 },
    });
  });

  it("masks yoga's own codes for the caller's mistakes as BAD_USER_INPUT, keeping their HTTP status", () => {
    const parse = new GraphQLError("Syntax Error", {
      extensions: { code: "GRAPHQL_PARSE_FAILED", http: { status: 400 } },
    });
    expect(maskError(parse, "Unexpected error.", { forward: false }).extensions).toEqual({
      code: "BAD_USER_INPUT",
      http: { status: 400 },
    });
    const coded = new GraphQLError("over", { extensions: { code: "BAD_USER_INPUT", limit: "cost" } });
    expect(maskError(coded, "Unexpected error.", { forward: false })).toBe(coded);
  });

  it("never explains an unexpected error", () => {
    const masked = maskError(new Error("token abc leaked"), "Unexpected error.", { forward: false });
    expect(masked.message).toBe("Unexpected error.");
    expect(masked.extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
  });
});
