import { describe, expect, it } from "vitest";
import {
  classifyUpstreamFailure,
  errorForStatus,
  errorForUnreadableAnswer,
  UpstreamAbortedError,
  UpstreamInvalidIdError,
  UpstreamRateLimitedError,
  UpstreamUnavailableError,
} from "../../src/upstream/index.ts";

const route = "/accounts/{account_id}/images/v1/{image_id}";
const failed = (status: number, code = 5400) => errorForStatus(status, route, [{ code, message: "no" }], 7);

describe("classifyUpstreamFailure: every upstream failure, classified once", () => {
  it.each([
    [404, { kind: "notFound" }],
    [429, { kind: "rateLimited", retryAfter: 7, local: false }],
    [401, { kind: "credentialsRefused" }],
    [403, { kind: "forbidden" }],
    [409, { kind: "refused", reason: "conflict" }],
    [413, { kind: "refused", reason: "tooLarge" }],
    [415, { kind: "refused", reason: "unsupportedMedia" }],
    [422, { kind: "refused", reason: "tooManyPixels" }],
    [400, { kind: "refused", reason: undefined }],
    [500, { kind: "failed" }],
    [503, { kind: "failed" }],
  ])("HTTP %i is %o, with the upstream's status and errors", (status, expected) => {
    expect(classifyUpstreamFailure(failed(status))).toMatchObject({
      ...expected,
      upstream: { status, errors: [{ code: 5400, message: "no" }] },
    });
  });

  it("tells the credentials' refusal by its code, and the variant limit by its code", () => {
    expect(classifyUpstreamFailure(failed(403, 10000))?.kind).toBe("credentialsRefused");
    expect(classifyUpstreamFailure(failed(400, 5470))).toMatchObject({ kind: "refused", reason: "variantLimit" });
    expect(classifyUpstreamFailure(errorForUnreadableAnswer(413, route, undefined))).toMatchObject({
      kind: "refused",
      reason: "tooLarge",
    });
    expect(classifyUpstreamFailure(errorForUnreadableAnswer(502, route, undefined))?.kind).toBe("failed");
  });

  it("tells failures without a response apart, and ignores what is not an upstream failure", () => {
    expect(classifyUpstreamFailure(new UpstreamUnavailableError("down", route))).toEqual({ kind: "unavailable" });
    expect(classifyUpstreamFailure(new UpstreamAbortedError("gone", route))).toEqual({ kind: "cancelled" });
    expect(classifyUpstreamFailure(new UpstreamInvalidIdError("bad id", route))).toEqual({ kind: "invalidId" });
    const local = new UpstreamRateLimitedError("spent", route, 3, { local: true });
    expect(classifyUpstreamFailure(local)).toMatchObject({ kind: "rateLimited", retryAfter: 3, local: true });
    expect(classifyUpstreamFailure(new Error("boom"))).toBeUndefined();
    expect(classifyUpstreamFailure("text")).toBeUndefined();
  });
});
