import { beforeAll, describe, expect, it } from "vitest";
import { paddedPng } from "../../src/emulator/samples/index.ts";
import { useTestStack } from "../support/server.ts";
import { gqlMultipart, UPLOAD_IMAGE, type UploadResult } from "../support/uploads.ts";

const IMAGE_ROUTE = "/accounts/{account_id}/images/v1/{image_id}";
const DEADLINE_MS = 1000;

let imageId: string;

const stack = useTestStack({
  resetEmulatorBeforeEach: true,
  env: { UPSTREAM_DEADLINE_MS: String(DEADLINE_MS), UPSTREAM_MAX_RETRY_AFTER_SECONDS: "5" },
});
beforeAll(async () => {
  imageId = ((await (await stack.emulator.admin("POST", "/images", { count: 1 })).json()) as { ids: string[] })
    .ids[0] as string;
});

const query = () => `{ image(imageId: "${imageId}") { imageId } }`;

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe("one deadline per upstream call (UPSTREAM_DEADLINE_MS)", () => {
  it("answers UPSTREAM_UNAVAILABLE within the deadline (+1 s) when the upstream hangs, and starts no try past it", async () => {
    // Far beyond the 30 s headers timeout's share of the deadline: only the deadline can end the call.
    await stack.emulator.admin("POST", "/latency", { ms: 60_000, route: IMAGE_ROUTE });
    const { result, ms } = await timed(() => stack.gql(query()));
    expect(result.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(result.data).toEqual({ image: null });
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(ms).toBeLessThan(DEADLINE_MS + 1000);
    expect((await stack.emulator.counts())[`GET ${IMAGE_ROUTE}`]).toBe(1);
  });

  it("bounds the blob route's wait for the upstream's answer too: 502 UPSTREAM_UNAVAILABLE", async () => {
    await stack.emulator.admin("POST", "/latency", { ms: 60_000, route: `${IMAGE_ROUTE}/blob` });
    const { result, ms } = await timed(async () => {
      const response = await fetch(new URL(`/images/${imageId}/blob`, stack.server.url));
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    });
    expect(result).toEqual({ status: 502, body: { error: expect.objectContaining({ code: "UPSTREAM_UNAVAILABLE" }) } });
    expect(ms).toBeLessThan(DEADLINE_MS + 1000);
  });

  it("still retries when the retry fits before the deadline", async () => {
    await stack.emulator.admin("POST", "/faults", { method: "GET", route: IMAGE_ROUTE, count: 1, status: 503 });
    const answer = await stack.gql(query());
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ image: { imageId } });
    expect((await stack.emulator.counts())[`GET ${IMAGE_ROUTE}`]).toBe(2);
  });

  it("does not bound an upload by the deadline: it has its own idle timeouts", async () => {
    await stack.emulator.admin("POST", "/latency", {
      ms: DEADLINE_MS + 500,
      route: "/accounts/{account_id}/images/v1",
    });
    const answer = await gqlMultipart<UploadResult>(stack, UPLOAD_IMAGE, { input: { file: null } }, [
      { path: "variables.input.file", bytes: paddedPng(64 * 1024), name: "slow.png", type: "image/png" },
    ]);
    expect(answer.data?.uploadImage.__typename, answer.text).toBe("UploadImagePayload");
  });

  // Last: the 429 blocks the server's budget for its Retry-After.
  it("does not wait out a Retry-After that would end past the deadline: RATE_LIMITED at once", async () => {
    await stack.emulator.admin("POST", "/faults", {
      method: "GET",
      route: IMAGE_ROUTE,
      count: 1,
      status: 429,
      retryAfter: 2,
    });
    const { result, ms } = await timed(() => stack.gql(query()));
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED" });
    expect(ms).toBeLessThan(DEADLINE_MS);
    expect((await stack.emulator.counts())[`GET ${IMAGE_ROUTE}`]).toBe(1);
  });
});
