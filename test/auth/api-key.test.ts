import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestStack } from "../support/server.ts";

const sha256 = (secret: string) => createHash("sha256").update(secret).digest("hex");
const READER = "reader-secret-0123456789";
const KEYMASTER = "keymaster-secret-0123456789";
const KEYS_ONLY = "keys-only-secret-0123456789";
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

const KEYS = `{ signingKeys { name value } }`;

let keyValue: string;

const stack = useTestStack({
  resetEmulatorBeforeEach: true,
  emulator: { seed: true },
  env: {
    AUTH_MODE: "api-key",
    API_KEYS: [
      `reader:${sha256(READER)}:images:read`,
      `keymaster:${sha256(KEYMASTER)}:images:read+keys:read`,
      `keys-only:${sha256(KEYS_ONLY)}:keys:read`,
    ].join(","),
  },
});
beforeAll(async () => {
  const keys = await stack.emulator.api<{ keys: { name: string; value: string }[] }>("GET", "/v1/keys");
  keyValue = keys.body.result.keys[0]?.value ?? "";
});

describe("AUTH_MODE=api-key", () => {
  it("answers a request without credentials with HTTP 401 UNAUTHENTICATED, before any upstream call", async () => {
    const answer = await stack.gql(`{ stats { current } }`);
    expect(answer.status).toBe(401);
    expect(answer.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(answer.data).toBeUndefined();
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("refuses an unknown key and a malformed header with 401, never echoing the credential", async () => {
    for (const authorization of ["Bearer not-a-configured-secret", "Basic cmVhZGVyOnNlY3JldA==", `Bearer ${READER}x`]) {
      const answer = await stack.gql(`{ stats { current } }`, undefined, { authorization });
      expect(answer.status).toBe(401);
      expect(answer.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(answer.text).not.toContain(authorization.split(" ")[1]);
    }
    const raw = await fetch(new URL("/graphql", stack.server.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ stats { current } }" }),
    });
    expect(raw.headers.get("www-authenticate")).toBe("Bearer");
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("serves a valid key within its scopes", async () => {
    const answer = await stack.gql<{ stats: { current: number } }>(`{ stats { current } }`, undefined, bearer(READER));
    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.stats.current).toBeGreaterThan(0);
  });

  it("nulls SigningKey.value with FORBIDDEN for a key without keys:read, and keeps the rest of the answer", async () => {
    const answer = await stack.gql<{ signingKeys: { name: string; value: string | null }[] }>(
      KEYS,
      undefined,
      bearer(READER),
    );
    expect(answer.status).toBe(200);
    expect(answer.data?.signingKeys).toEqual([{ name: "default", value: null }]);
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(answer.errors?.[0]?.path).toEqual(["signingKeys", 0, "value"]);
    expect(answer.text).not.toContain(keyValue);
  });

  it("shows SigningKey.value to a key with keys:read", async () => {
    const answer = await stack.gql<{ signingKeys: { name: string; value: string | null }[] }>(
      KEYS,
      undefined,
      bearer(KEYMASTER),
    );
    expect(answer.errors).toBeUndefined();
    expect(keyValue).not.toBe("");
    expect(answer.data?.signingKeys).toEqual([{ name: "default", value: keyValue }]);
  });

  it("refuses fields outside a key's scopes with FORBIDDEN, field by field, before their upstream call", async () => {
    const answer = await stack.gql<{ signingKeys: { name: string; value: string }[] }>(
      `{ signingKeys { name value } image(imageId: "anything") { imageId } }`,
      undefined,
      bearer(KEYS_ONLY),
    );
    expect(answer.status).toBe(200);
    expect(answer.data?.signingKeys).toEqual([{ name: "default", value: keyValue }]);
    expect(answer.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[["image"], "FORBIDDEN"]]);
    expect(await stack.emulator.counts()).toEqual({ "GET /accounts/{account_id}/images/v1/keys": 1 });
  });
});

describe("the blob route under AUTH_MODE=api-key", () => {
  it("needs credentials (401) and images:read (403) before it asks the upstream, then streams the bytes", async () => {
    const listed = await stack.emulator.api<{ images: { id: string }[] }>("GET", "/v2?per_page=10");
    const imageId = listed.body.result.images[0]?.id ?? "";
    await stack.emulator.reset();
    const blob = (headers: Record<string, string>) =>
      fetch(new URL(`/images/${encodeURIComponent(imageId)}/blob`, stack.server.url), { headers });

    const anonymous = await blob({});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe("Bearer");
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("UNAUTHENTICATED");
    const wrong = await blob(bearer("not-a-configured-secret"));
    expect(wrong.status).toBe(401);
    const keysOnly = await blob(bearer(KEYS_ONLY));
    expect(keysOnly.status).toBe(403);
    expect(((await keysOnly.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    expect(await stack.emulator.counts()).toEqual({});

    const reader = await blob(bearer(READER));
    expect(reader.status).toBe(200);
    const { baseUrl, accountId, token } = stack.emulator;
    const direct = await fetch(`${baseUrl}/accounts/${accountId}/images/v1/${encodeURIComponent(imageId)}/blob`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const bytes = new Uint8Array(await reader.arrayBuffer());
    expect(bytes.byteLength).toBeGreaterThan(0);
    expect(bytes).toEqual(new Uint8Array(await direct.arrayBuffer()));
  });
});
