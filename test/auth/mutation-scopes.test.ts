import { createHash } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { useInProcessStack } from "../support/in-process.ts";

const sha256 = (secret: string) => createHash("sha256").update(secret).digest("hex");
const as = (secret: string) => ({ authorization: `Bearer ${secret}` });

const stack = useInProcessStack({
  env: {
    AUTH_MODE: "api-key",
    API_KEYS: [
      `reader:${sha256("reader-secret")}:images:read`,
      `writer:${sha256("writer-secret")}:images:read+images:write`,
      `keys:${sha256("keys-secret")}:keys:write`,
    ].join(","),
  },
});
beforeEach(() => stack.emulator.reset({ data: true }));

const codes = (answer: { errors?: { path?: (string | number)[]; extensions?: Record<string, unknown> }[] }) =>
  Object.fromEntries((answer.errors ?? []).map((e) => [e.path?.join("."), e.extensions?.code]));

const DELETE_IMAGE = `mutation { deleteImage(input: { imageId: "no/such" }) { __typename } }`;
const CREATE_KEY = `mutation { createSigningKey(input: { name: "partner" }) {
  __typename ... on CreateSigningKeyPayload { signingKey { name value } }
} }`;

describe("scopes of mutations", () => {
  it("needs images:write for image mutations, refusing before any upstream call", async () => {
    const denied = await stack.gql(DELETE_IMAGE, undefined, as("reader-secret"));
    expect(codes(denied)).toEqual({ deleteImage: "FORBIDDEN" });
    expect(await stack.emulator.counts()).toEqual({});
    const allowed = await stack.gql(DELETE_IMAGE, undefined, as("writer-secret"));
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data).toEqual({ deleteImage: { __typename: "NotFoundError" } });
  });

  it("needs keys:write (not images:write) for signing-key mutations, and shows no value without keys:read", async () => {
    const writer = await stack.gql(CREATE_KEY, undefined, as("writer-secret"));
    expect(codes(writer)).toEqual({ createSigningKey: "FORBIDDEN" });
    expect(await stack.emulator.counts()).toEqual({});
    const keys = await stack.gql<{ createSigningKey: { signingKey: { name: string; value: string | null } } }>(
      CREATE_KEY,
      undefined,
      as("keys-secret"),
    );
    expect(keys.data?.createSigningKey.signingKey).toEqual({ name: "partner", value: null });
    expect(codes(keys)).toEqual({ "createSigningKey.signingKey.value": "FORBIDDEN" });
    const stored = await stack.emulator.api<{ keys: { name: string; value: string }[] }>("GET", "/v1/keys");
    const created = stored.body.result.keys.find((k) => k.name === "partner");
    expect(created).toBeDefined();
    expect(keys.text).not.toContain(created?.value);
  });
});
