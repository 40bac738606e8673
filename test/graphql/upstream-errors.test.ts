import { beforeAll, describe, expect, it } from "vitest";
import { startInProcessStack, useInProcessStack } from "../support/in-process.ts";
import { startTestStack } from "../support/server.ts";

const IMAGE_ROUTE = "/accounts/{account_id}/images/v1/{image_id}";
const GET_IMAGE = `GET ${IMAGE_ROUTE}`;

let imageId: string;

const stack = useInProcessStack({ resetEmulatorBeforeEach: true });
beforeAll(async () => {
  imageId = ((await (await stack.emulator.admin("POST", "/images", { count: 1 })).json()) as { ids: string[] })
    .ids[0] as string;
});

const query = () => `{ image(imageId: "${imageId}") { imageId } }`;

async function fault(spec: Record<string, unknown>) {
  const response = await stack.emulator.admin("POST", "/faults", { method: "GET", route: IMAGE_ROUTE, ...spec });
  expect(response.ok).toBe(true);
}

describe("upstream failures become typed GraphQL errors", () => {
  it("answers null for a 404", async () => {
    await fault({ count: 1, status: 404, errors: [{ code: 5404, message: "Image not found" }] });
    const answer = await stack.gql(query());
    expect(answer.data).toEqual({ image: null });
    expect(answer.errors).toBeUndefined();
  });

  it("retries a 5xx twice, then succeeds", async () => {
    await fault({ count: 2, status: 502 });
    const answer = await stack.gql(query());
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ image: { imageId } });
    expect((await stack.emulator.counts())[GET_IMAGE]).toBe(3);
  });

  it("answers UPSTREAM_ERROR with the upstream's status and codes after the retries are spent", async () => {
    await fault({ count: 3, status: 500, errors: [{ code: 10001, message: "boom" }] });
    const answer = await stack.gql(query());
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: "UPSTREAM_ERROR",
      upstream: { status: 500, errors: [{ code: 10001, message: "boom" }] },
    });
    expect((await stack.emulator.counts())[GET_IMAGE]).toBe(3);
  });

  it("retries a dropped connection", async () => {
    await fault({ count: 1, drop: true });
    const answer = await stack.gql(query());
    expect(answer.data).toEqual({ image: { imageId } });
    expect((await stack.emulator.counts())[GET_IMAGE]).toBe(2);
  });

  it("never shows the API token in any answer", async () => {
    await fault({ count: 3, status: 500 });
    const answers = [await stack.gql(query()), await stack.gql("{ signingKeys { name } stats { current } }")];
    for (const answer of answers) expect(answer.text).not.toContain(stack.emulator.token);
  });
});

describe("without a reachable upstream", () => {
  it("answers UPSTREAM_UNAVAILABLE when the connection is refused", async () => {
    // Over a real socket: the refusal is the operating system's.
    const closed = await startTestStack({ upstreamBaseUrl: "http://127.0.0.1:1/client/v4" });
    try {
      const answer = await closed.gql(`{ image(imageId: "x") { imageId } }`);
      expect(answer.status).toBe(200);
      expect(answer.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
      expect(answer.text).not.toContain(closed.emulator.token);
    } finally {
      await closed.close();
    }
  });
});

describe("the request budget", () => {
  it("answers RATE_LIMITED with retryAfter for a 429 asking for a long wait, without retrying, then holds off", async () => {
    // Its own stack: after a 429 the server rightly calls nothing until Retry-After has passed.
    const limited = await startInProcessStack();
    try {
      const ids = ((await (await limited.emulator.admin("POST", "/images", { count: 1 })).json()) as { ids: string[] })
        .ids;
      await limited.emulator.reset();
      const faulted = await limited.emulator.admin("POST", "/faults", {
        method: "GET",
        route: IMAGE_ROUTE,
        count: 1,
        status: 429,
        retryAfter: 120,
      });
      expect(faulted.ok).toBe(true);
      const answer = await limited.gql(`{ image(imageId: "${ids[0]}") { imageId } }`);
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfter: 120 });
      expect(answer.errors?.[0]?.path).toEqual(["image"]);
      expect((await limited.emulator.counts())[GET_IMAGE]).toBe(1);
      const held = await limited.gql(`{ image(imageId: "${ids[0]}") { imageId } }`);
      expect(held.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
      expect((await limited.emulator.counts())[GET_IMAGE]).toBe(1);
    } finally {
      await limited.close();
    }
  });
  it("refuses with RATE_LIMITED and retryAfter once spent, without calling the upstream", async () => {
    // One caller spends it all: its share is the whole window here.
    const small = await startInProcessStack({
      env: { UPSTREAM_BUDGET: "2", UPSTREAM_BUDGET_WINDOW_SECONDS: "600", UPSTREAM_CALLER_SHARE: "1" },
    });
    try {
      expect((await small.gql("{ stats { current } }")).errors).toBeUndefined();
      expect((await small.gql("{ variants { name } }")).errors).toBeUndefined();
      await small.emulator.reset();
      const refused = await small.gql("{ stats { current } }");
      expect(refused.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
      expect(refused.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
      expect(await small.emulator.counts()).toEqual({});
    } finally {
      await small.close();
    }
  });
});
