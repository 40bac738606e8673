import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.ts";
import { startTestStack, type TestStack, useTestStack } from "../support/server.ts";

const QUERY = JSON.stringify({ query: "{ stats { current } }" });

async function cross(stack: TestStack, origin: string) {
  const url = new URL("/graphql", stack.server.url);
  const preflight = await fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type, authorization",
    },
  });
  const post = await fetch(url, {
    method: "POST",
    headers: { origin, "content-type": "application/json" },
    body: QUERY,
  });
  expect(post.status).toBe(200);
  return { preflight, post };
}

/** Real credentials (the emulator's, presented as if they were an account's) and no CORS_ORIGINS. */
const real = (env: Record<string, string> = {}) =>
  startTestStack({
    env: {
      CLOUDFLARE_API_TOKEN: "configured",
      CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
      AUTH_MODE: "none",
      ALLOW_UNAUTHENTICATED: "true",
      ...env,
    },
  });

describe("CORS with the embedded emulator", () => {
  const stack = useTestStack();

  it("lets any origin read answers, without credentials, varying by origin", async () => {
    const { preflight, post } = await cross(stack, "https://app.example.com");
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET, POST");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("content-type, authorization");
    expect(post.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(post.headers.get("access-control-allow-credentials")).toBeNull();
    expect(post.headers.get("vary")).toMatch(/Origin/);
  });

  it("never allows the opaque origin null", async () => {
    const { preflight, post } = await cross(stack, "null");
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(post.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("CORS with real credentials", () => {
  it("allows no origin until CORS_ORIGINS lists it", async () => {
    const stack = await real();
    try {
      const { preflight, post } = await cross(stack, "https://app.example.com");
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
      expect(post.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await stack.close();
    }
  });

  it("allows exactly the listed origins, and credentials only when configured", async () => {
    const stack = await real({
      CORS_ORIGINS: "https://app.example.com, https://admin.example.com",
      CORS_ALLOW_CREDENTIALS: "true",
    });
    try {
      const allowed = await cross(stack, "https://admin.example.com");
      expect(allowed.preflight.headers.get("access-control-allow-origin")).toBe("https://admin.example.com");
      expect(allowed.post.headers.get("access-control-allow-origin")).toBe("https://admin.example.com");
      expect(allowed.post.headers.get("access-control-allow-credentials")).toBe("true");
      const other = await cross(stack, "https://evil.example.net");
      expect(other.preflight.headers.get("access-control-allow-origin")).toBeNull();
      expect(other.post.headers.get("access-control-allow-origin")).toBeNull();
      expect(other.post.headers.get("access-control-allow-credentials")).toBeNull();
      expect(other.post.headers.get("vary")).toMatch(/Origin/);
    } finally {
      await stack.close();
    }
  });
});

describe("CORS configuration", () => {
  it.each([
    [{ CORS_ORIGINS: "*", CORS_ALLOW_CREDENTIALS: "true" }, /CORS_ALLOW_CREDENTIALS/],
    [{ CORS_ORIGINS: "https://app.example.com/path" }, /CORS_ORIGINS/],
    [{ CORS_ORIGINS: "null" }, /CORS_ORIGINS/],
    [{ CORS_ORIGINS: "app.example.com" }, /CORS_ORIGINS/],
  ])("refuses %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("reads a list of origins", () => {
    expect(loadConfig({ CORS_ORIGINS: "https://a.example.com,http://localhost:5173/" }).cors).toEqual({
      origins: ["https://a.example.com", "http://localhost:5173"],
      credentials: false,
    });
  });
});
