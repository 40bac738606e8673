import { createHash } from "node:crypto";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../support/server.ts";

const ALICE = "alice-secret-key-0123456789";
const BOB = "bob-secret-key-0123456789";
const digest = (secret: string) => createHash("sha256").update(secret).digest("hex");

let stack: TestStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function images(target: TestStack, count: number): Promise<string[]> {
  const created = await target.emulator.admin("POST", "/images", { count });
  const ids = ((await created.json()) as { ids: string[] }).ids;
  await target.emulator.reset();
  return ids;
}

const read = (id: string) => `{ image(imageId: "${id}") { imageId } }`;

describe("fair shares of the upstream budget in one process", () => {
  it("stop one API key at its share while another key is still served", async () => {
    stack = await startTestStack({
      env: {
        UPSTREAM_BUDGET: "20",
        UPSTREAM_BUDGET_WINDOW_SECONDS: "600",
        AUTH_MODE: "api-key",
        API_KEYS: `alice:${digest(ALICE)}:images:read,bob:${digest(BOB)}:images:read`,
      },
    });
    const ids = await images(stack, 30);
    const current = stack;
    const alice = await Promise.all(
      ids.slice(0, 20).map((id) => current.gql(read(id), {}, { authorization: `Bearer ${ALICE}` })),
    );
    const limited = alice.filter((answer) => answer.errors?.[0]?.extensions?.code === "RATE_LIMITED");
    expect(alice.length - limited.length).toBe(10);
    for (const answer of limited) {
      expect(answer.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
    }
    const bob = await Promise.all(
      ids.slice(20, 30).map((id) => current.gql(read(id), {}, { authorization: `Bearer ${BOB}` })),
    );
    expect(bob.every((answer) => answer.errors === undefined)).toBe(true);
    expect((await stack.emulator.counts())["GET /accounts/{account_id}/images/v1/{image_id}"]).toBe(20);
  });

  it("tell callers apart by their address when authentication is off", async () => {
    stack = await startTestStack({ env: { UPSTREAM_BUDGET: "10", UPSTREAM_BUDGET_WINDOW_SECONDS: "600" } });
    const ids = await images(stack, 15);
    const url = new URL("/graphql", stack.server.url);
    const post = (id: string, localAddress?: string) =>
      new Promise<{ errors?: { extensions?: { code?: string } }[] }>((resolve, reject) => {
        // From another loopback address: the same machine, another caller.
        const sent = request(url, { method: "POST", headers: { "content-type": "application/json" }, localAddress });
        sent.on("response", async (response) => {
          let text = "";
          for await (const chunk of response) text += chunk;
          resolve(JSON.parse(text));
        });
        sent.on("error", reject);
        sent.end(JSON.stringify({ query: read(id) }));
      });
    const flood = await Promise.all(ids.slice(0, 10).map((id) => post(id, "127.0.0.2")));
    expect(flood.filter((answer) => answer.errors === undefined)).toHaveLength(5);
    expect(flood.filter((answer) => answer.errors?.[0]?.extensions?.code === "RATE_LIMITED")).toHaveLength(5);
    const local = await Promise.all(ids.slice(10, 15).map((id) => post(id)));
    expect(local.map((answer) => answer.errors)).toEqual(local.map(() => undefined));
  });
});
