import { beforeEach, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { uploaded } from "../support/images.ts";
import { useTestStack } from "../support/server.ts";

const stack = useTestStack();
beforeEach(() => stack.emulator.reset({ data: true }));

async function keyValues(): Promise<Map<string, string>> {
  const keys = await stack.emulator.api<{ keys: { name: string; value: string }[] }>("GET", "/v1/keys");
  return new Map(keys.body.result.keys.map((k) => [k.name, k.value]));
}

describe("signing key mutations", () => {
  it("creates a key that signs URLs the emulator accepts, and never answers its value", async () => {
    const privateImage = await uploaded(
      stack.emulator,
      { requireSignedURLs: "true" },
      {
        bytes: samplePng(5, 5),
        name: "secret.png",
      },
    );
    const created = await stack.gql<{ createSigningKey: { __typename: string; signingKey: { name: string } } }>(
      `mutation { createSigningKey(input: { name: "web" }) {
        __typename ... on CreateSigningKeyPayload { signingKey { id name } }
      } }`,
    );
    expect(created.data?.createSigningKey).toMatchObject({
      __typename: "CreateSigningKeyPayload",
      signingKey: { name: "web" },
    });
    // With only the new key left, every signed URL must be signed with it.
    const removed = await stack.gql<{ deleteSigningKey: { __typename: string; signingKeys: { name: string }[] } }>(
      `mutation { deleteSigningKey(input: { name: "default" }) {
        __typename ... on DeleteSigningKeyPayload { deletedSigningKeyName signingKeys { name } }
      } }`,
    );
    expect(removed.data?.deleteSigningKey).toMatchObject({ signingKeys: [{ name: "web" }] });
    const values = await keyValues();
    expect([...values.keys()]).toEqual(["web"]);

    const read = await stack.gql<{ image: { url: string } }>(`query($id: ID!) { image(imageId: $id) { url } }`, {
      id: privateImage.id,
    });
    const signed = read.data?.image.url ?? "";
    expect(signed).toMatch(/[?&]sig=[0-9a-f]{64}/);
    expect((await fetch(signed)).status).toBe(200);
    const unsigned = new URL(signed);
    unsigned.search = "";
    expect((await fetch(unsigned)).status).not.toBe(200);

    for (const answer of [created, removed, read]) {
      for (const value of values.values()) expect(answer.text).not.toContain(value);
    }
  });

  it("refuses an existing name unless asked to rotate, and rotating changes the value", async () => {
    const before = (await keyValues()).get("default");
    const refused = await stack.gql<{ createSigningKey: unknown }>(
      `mutation { createSigningKey(input: { name: "default" }) { __typename ... on ConflictError { path } } }`,
    );
    expect(refused.data?.createSigningKey).toEqual({ __typename: "ConflictError", path: ["input", "name"] });
    expect((await keyValues()).get("default")).toBe(before);

    const rotated = await stack.gql<{ createSigningKey: { __typename: string } }>(
      `mutation { createSigningKey(input: { name: "default", rotate: true }) { __typename } }`,
    );
    expect(rotated.data?.createSigningKey.__typename).toBe("CreateSigningKeyPayload");
    expect((await keyValues()).get("default")).not.toBe(before);
  });

  it("refuses a name over 20 characters before any upstream call, and an unknown key on delete", async () => {
    await stack.emulator.reset();
    const long = await stack.gql<{ createSigningKey: unknown }>(
      `mutation { createSigningKey(input: { name: "${"k".repeat(21)}" }) { __typename ... on ValidationError { path } } }`,
    );
    expect(long.data?.createSigningKey).toEqual({ __typename: "ValidationError", path: ["input", "name"] });
    expect(await stack.emulator.counts()).toEqual({});
    const missing = await stack.gql<{ deleteSigningKey: unknown }>(
      `mutation { deleteSigningKey(input: { name: "ghost" }) { __typename ... on NotFoundError { resource id } } }`,
    );
    expect(missing.data?.deleteSigningKey).toEqual({
      __typename: "NotFoundError",
      resource: "SIGNING_KEY",
      id: "ghost",
    });
  });
});
