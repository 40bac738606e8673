import { describe, expect, it } from "vitest";
import { useTestStack } from "../support/server.ts";

// Long lifetimes: only a read past the cache can see what was changed elsewhere.
const ENV = { CACHE: "on", CACHE_KEYS_TTL_SECONDS: "3600", CACHE_VARIANTS_TTL_SECONDS: "3600" };
const stack = useTestStack({ env: ENV, emulator: { seed: true } });

/** What the dashboard or another tool would send, straight to the upstream. */
const direct = (method: string, path: string, body?: unknown) =>
  fetch(`${stack.emulator.baseUrl}/accounts/${stack.emulator.accountId}/images${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.emulator.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe("checks that gate a write read the upstream as it is now, past the entity cache", () => {
  it("a signing key made elsewhere is not silently replaced by createSigningKey", async () => {
    const listed = await stack.gql<{ signingKeys: { name: string }[] }>(`{ signingKeys { name } }`);
    expect(listed.data?.signingKeys.map((k) => k.name)).not.toContain("mobile");
    expect((await direct("PUT", "/v1/keys/mobile")).status).toBe(200);
    const mobileValue = async () => {
      const answer = (await (await direct("GET", "/v1/keys")).json()) as {
        result: { keys: { name: string; value: string }[] };
      };
      return answer.result.keys.find((k) => k.name === "mobile")?.value;
    };
    const before = await mobileValue();
    // The cached list (an hour's lifetime) still lacks the key; the check must not trust it.
    const cached = await stack.gql<{ signingKeys: { name: string }[] }>(`{ signingKeys { name } }`);
    expect(cached.data?.signingKeys.map((k) => k.name)).not.toContain("mobile");
    const refused = await stack.gql<{ createSigningKey: unknown }>(
      `mutation { createSigningKey(input: { name: "mobile" }) { __typename ... on ConflictError { path } } }`,
    );
    expect(refused.data?.createSigningKey).toEqual({ __typename: "ConflictError", path: ["input", "name"] });
    expect(await mobileValue()).toBe(before);
    // What the check read is kept: the list now shows the key without waiting out the lifetime.
    const after = await stack.gql<{ signingKeys: { name: string }[] }>(`{ signingKeys { name } }`);
    expect(after.data?.signingKeys.map((k) => k.name)).toContain("mobile");
  });

  it("a variant deleted elsewhere can be created again at once", async () => {
    const made = await direct("POST", "/v1/variants", {
      id: "banner",
      options: { fit: "scale-down", width: 1200, height: 300, metadata: "none" },
    });
    expect(made.status).toBe(200);
    const listed = await stack.gql<{ variants: { name: string }[] }>(`{ variants { name } }`);
    expect(listed.data?.variants.map((v) => v.name)).toContain("banner");
    expect((await direct("DELETE", "/v1/variants/banner")).status).toBe(200);
    const created = await stack.gql<{ createVariant: { __typename: string } }>(
      `mutation { createVariant(input: { name: "banner", options: { fit: SCALE_DOWN, width: 1200, height: 300, metadata: NONE } }) { __typename } }`,
    );
    expect(created.data?.createVariant.__typename).toBe("CreateVariantPayload");
  });
});
