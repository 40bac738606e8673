import { describe, expect, it } from "vitest";
import {
  CHANGE_ERRORS,
  COMMON_ERRORS,
  ConflictError,
  LimitExceededError,
  NotFoundError,
  typedRefusal,
  UnsupportedImageError,
  UpstreamRefusalError,
} from "../../src/schema/mutation-errors.ts";
import { errorForStatus, UpstreamRateLimitedError } from "../../src/upstream/index.ts";

const route = "/accounts/{account_id}/images/v1";
const refused = (status: number, code = 5400) => errorForStatus(status, route, [{ code, message: "nope" }], undefined);
const upload = {
  resource: "IMAGE",
  id: "team/logo",
  idPath: ["input", "id"],
  existing: false,
  errors: [...COMMON_ERRORS, ConflictError, LimitExceededError, UnsupportedImageError],
} as const;
const update = { ...upload, idPath: ["input", "imageId"], existing: true, errors: CHANGE_ERRORS } as const;

describe("typedRefusal", () => {
  it.each([
    [409, ConflictError],
    [413, LimitExceededError],
    [415, UnsupportedImageError],
    [422, LimitExceededError],
    [400, UpstreamRefusalError],
    [500, UpstreamRefusalError],
  ])("maps an upload's HTTP %i to %o", (status, type) => {
    expect(typedRefusal(refused(status), upload)).toBeInstanceOf(type);
  });

  it("names the input field of a taken id, and keeps the upstream's codes on other refusals", () => {
    expect(typedRefusal(refused(409), upload)).toMatchObject({ path: ["input", "id"] });
    expect(typedRefusal(refused(400, 5499), upload)).toMatchObject({ status: 400, errors: [{ code: 5499 }] });
  });

  it("answers NotFoundError only for something that exists, never for a create", () => {
    expect(typedRefusal(refused(404, 5404), update)).toMatchObject({ resource: "IMAGE", id: "team/logo" });
    expect(typedRefusal(refused(404, 5404), update)).toBeInstanceOf(NotFoundError);
    expect(typedRefusal(refused(404, 7003), upload)).toBeInstanceOf(UpstreamRefusalError);
  });

  it("falls back to UpstreamError for a typed refusal the mutation does not answer with", () => {
    expect(typedRefusal(refused(409), update)).toBeInstanceOf(UpstreamRefusalError);
  });

  it("leaves failures that are not about the input as they are", () => {
    const limited = new UpstreamRateLimitedError("slow down", route, 30, { status: 429, local: false });
    expect(typedRefusal(limited, upload)).toBe(limited);
    const other = new Error("boom");
    expect(typedRefusal(other, upload)).toBe(other);
  });
});
