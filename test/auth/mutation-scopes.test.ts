import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestStack } from "../support/server.ts";

// Mutations arrive later, on `builder.mutationFields`: this file adds two the way they will be
// added, before the schema is built, to show which scopes they get without saying anything.
const { builder } = await import("../../src/schema/builder.ts");
builder.mutationFields((t) => ({
  probeImageWrite: t.boolean({ resolve: () => true }),
  probeKeyWrite: t.boolean({ skipTypeScopes: true, authScopes: { "keys:write": true }, resolve: () => true }),
}));
const { startTestStack } = await import("../support/server.ts");

const sha256 = (secret: string) => createHash("sha256").update(secret).digest("hex");
const as = (secret: string) => ({ authorization: `Bearer ${secret}` });

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    env: {
      AUTH_MODE: "api-key",
      API_KEYS: [
        `reader:${sha256("reader-secret")}:images:read`,
        `writer:${sha256("writer-secret")}:images:read+images:write`,
        `keys:${sha256("keys-secret")}:keys:write`,
      ].join(","),
    },
  });
});
afterAll(() => stack.close());

const codes = (answer: { errors?: { path?: (string | number)[]; extensions?: Record<string, unknown> }[] }) =>
  Object.fromEntries((answer.errors ?? []).map((e) => [e.path?.join("."), e.extensions?.code]));

describe("scopes of mutations", () => {
  it("needs images:write for a mutation that says nothing about scopes", async () => {
    const denied = await stack.gql(`mutation { probeImageWrite }`, undefined, as("reader-secret"));
    expect(codes(denied)).toEqual({ probeImageWrite: "FORBIDDEN" });
    const allowed = await stack.gql(`mutation { probeImageWrite }`, undefined, as("writer-secret"));
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data).toEqual({ probeImageWrite: true });
  });

  it("needs only keys:write for a key mutation that skips the type's scopes", async () => {
    const writer = await stack.gql(`mutation { probeKeyWrite }`, undefined, as("writer-secret"));
    expect(codes(writer)).toEqual({ probeKeyWrite: "FORBIDDEN" });
    const keys = await stack.gql(`mutation { probeKeyWrite }`, undefined, as("keys-secret"));
    expect(keys.data).toEqual({ probeKeyWrite: true });
  });
});
