import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.ts";
import { useTestStack } from "../support/server.ts";

const READER = "reader-secret-0123456789";
const OPS_TOKEN = "ops-token-0123456789abcdef";
const REAL = {
  CLOUDFLARE_API_TOKEN: "real-token-value",
  CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
  AUTH_MODE: "api-key",
  API_KEYS: `reader:${createHash("sha256").update(READER).digest("hex")}:images:read`,
};

const get = (base: URL, path: string, headers: Record<string, string> = {}) =>
  fetch(new URL(path, base), { headers }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe("ops endpoints with real credentials: on a listener of their own by default", () => {
  const stack = useTestStack({ env: { ...REAL, OPS_PORT: "0" } });

  it("defaults OPS_PORT to 9464 with real credentials, and to none with the emulator", () => {
    expect(loadConfig(REAL).ops.port).toBe(9464);
    expect(loadConfig({}).ops.port).toBeUndefined();
  });

  it("serves /metrics and /readiness only on OPS_PORT, never on the public port", async () => {
    const ops = stack.server.opsUrl as URL;
    expect(ops.port).not.toBe(stack.server.url.port);
    for (const path of ["/metrics", "/readiness"]) {
      expect((await get(stack.server.url, path)).status).toBe(404);
    }
    const metrics = await get(ops, "/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain("graphql_requests_total");
    expect((await get(ops, "/readiness")).status).toBe(200);
    expect((await get(ops, "/health")).status).toBe(200);
    expect((await get(stack.server.url, "/health")).status).toBe(200);
  });

  it("serves no GraphQL on the ops listener", async () => {
    expect((await get(stack.server.opsUrl as URL, "/graphql?query=%7B__typename%7D")).status).toBe(404);
  });

  it("gives no field suggestions when introspection is off (the default with real credentials)", async () => {
    const answer = await stack.gql(`{ imagez(imageId: "x") { imageId } }`, undefined, {
      authorization: `Bearer ${READER}`,
    });
    expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(answer.errors?.[0]?.message).toMatch(/imagez/);
    expect(answer.text).not.toMatch(/Did you mean/);
  });
});

describe("ops endpoints behind OPS_TOKEN on the public port", () => {
  const stack = useTestStack({ env: { ...REAL, OPS_PORT: "off", OPS_TOKEN } });

  it("answers 401 without the token and serves with it", async () => {
    for (const path of ["/metrics", "/readiness"]) {
      expect((await get(stack.server.url, path)).status).toBe(401);
      expect((await get(stack.server.url, path, { authorization: `Bearer ${OPS_TOKEN}x` })).status).toBe(401);
      expect((await get(stack.server.url, path, { authorization: `Bearer ${OPS_TOKEN}` })).status).toBe(200);
    }
    expect(stack.server.opsUrl).toBeUndefined();
  });

  it("refuses to start with real credentials, OPS_PORT=off and no OPS_TOKEN", () => {
    expect(() => loadConfig({ ...REAL, OPS_PORT: "off" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...REAL, OPS_PORT: "off" })).toThrow(/OPS_PORT or OPS_TOKEN/);
  });
});

describe("with the emulator", () => {
  const stack = useTestStack();

  it("serves /metrics and /readiness on the one port, open, and suggests fields", async () => {
    expect((await get(stack.server.url, "/metrics")).status).toBe(200);
    expect((await get(stack.server.url, "/readiness")).status).toBe(200);
    expect((await stack.gql(`{ imagez(imageId: "x") { imageId } }`)).text).toMatch(/Did you mean/);
  });
});
