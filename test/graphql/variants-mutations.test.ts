import { beforeEach, describe, expect, it } from "vitest";
import { uploaded } from "../support/images.ts";
import { useInProcessStack } from "../support/in-process.ts";

const VARIANTS = "/accounts/{account_id}/images/v1/variants";
const VARIANT = `${VARIANTS}/{variant_id}`;

const stack = useInProcessStack();
beforeEach(() => stack.emulator.reset({ data: true }));

const CREATE = `
  mutation($input: CreateVariantInput!) {
    createVariant(input: $input) {
      __typename
      ... on CreateVariantPayload {
        variant { name neverRequireSignedURLs options { fit width height metadata } }
      }
      ... on MutationError { message }
      ... on ValidationError { path }
      ... on ConflictError { path }
      ... on LimitExceededError { limit max }
    }
  }
`;

interface CreateResult {
  createVariant: {
    __typename: string;
    variant?: { name: string; neverRequireSignedURLs: boolean; options: Record<string, unknown> };
    message?: string;
    path?: string[];
    limit?: string;
    max?: number;
  };
}

const thumb = (name = "thumb") => ({
  name,
  options: { fit: "COVER", width: 120, height: 80, metadata: "NONE" },
  neverRequireSignedURLs: true,
});

describe("createVariant", () => {
  it("creates a variant the upstream then lists", async () => {
    const answer = await stack.gql<CreateResult>(CREATE, { input: thumb() });
    expect(answer.data?.createVariant).toMatchObject({
      __typename: "CreateVariantPayload",
      variant: { name: "thumb", neverRequireSignedURLs: true, options: { fit: "COVER", width: 120, height: 80 } },
    });
    const listed = await stack.emulator.api<{ variants: Record<string, unknown> }>("GET", "/v1/variants");
    expect(Object.keys(listed.body.result.variants)).toContain("thumb");
  });

  it("refuses a name already taken with a ConflictError", async () => {
    await stack.gql(CREATE, { input: thumb() });
    await stack.emulator.reset();
    const again = await stack.gql<CreateResult>(CREATE, { input: thumb() });
    expect(again.data?.createVariant).toMatchObject({ __typename: "ConflictError", path: ["input", "name"] });
    expect((await stack.emulator.counts())[`POST ${VARIANTS}`]).toBeUndefined();
  });

  it("refuses a width under 1 with a ValidationError naming the option, before any upstream call", async () => {
    const input = { ...thumb(), options: { ...thumb().options, width: 0 } };
    const answer = await stack.gql<CreateResult>(CREATE, { input });
    expect(answer.data?.createVariant).toMatchObject({
      __typename: "ValidationError",
      path: ["input", "options", "width"],
    });
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("refuses the 101st variant with a LimitExceededError, and the account keeps 100", async () => {
    for (let i = 1; i < 100; i++) {
      const created = await stack.emulator.api("POST", "/v1/variants", {
        json: { id: `v${i}`, options: { fit: "scale-down", metadata: "none", width: i, height: i } },
      });
      expect(created.status).toBe(200);
    }
    const answer = await stack.gql<CreateResult>(CREATE, { input: thumb("one-too-many") });
    expect(answer.data?.createVariant).toMatchObject({
      __typename: "LimitExceededError",
      limit: "VARIANT_COUNT",
      max: 100,
    });
    const listed = await stack.emulator.api<{ variants: Record<string, unknown> }>("GET", "/v1/variants");
    expect(Object.keys(listed.body.result.variants)).toHaveLength(100);
  });
});

describe("updateVariant and deleteVariant", () => {
  it("updates the options, and images' variant definitions follow in the same request", async () => {
    await stack.gql(CREATE, { input: thumb() });
    const answer = await stack.gql<{
      updateVariant: { __typename: string; variant: { options: { width: number; fit: string } } };
    }>(`mutation {
      updateVariant(input: { name: "thumb", options: { fit: PAD, width: 300, height: 200, metadata: KEEP } }) {
        __typename ... on UpdateVariantPayload { variant { options { width fit } } }
      }
    }`);
    expect(answer.data?.updateVariant).toEqual({
      __typename: "UpdateVariantPayload",
      variant: { options: { width: 300, fit: "PAD" } },
    });
    const read = await stack.gql<{ variant: { options: { width: number } } }>(
      `{ variant(name: "thumb") { options { width } } }`,
    );
    expect(read.data?.variant.options.width).toBe(300);
  });

  it("answers a NotFoundError for an unknown variant", async () => {
    const answer = await stack.gql<{ updateVariant: unknown }>(`mutation {
      updateVariant(input: { name: "nope", options: { fit: PAD, width: 3, height: 2, metadata: KEEP } }) {
        __typename ... on NotFoundError { resource id }
      }
    }`);
    expect(answer.data?.updateVariant).toEqual({ __typename: "NotFoundError", resource: "VARIANT", id: "nope" });
  });

  it("deletes a variant; the upstream no longer lists it", async () => {
    await stack.gql(CREATE, { input: thumb() });
    const answer = await stack.gql<{ deleteVariant: unknown }>(`mutation {
      deleteVariant(input: { name: "thumb" }) { __typename ... on DeleteVariantPayload { deletedVariantName } }
    }`);
    expect(answer.data?.deleteVariant).toEqual({ __typename: "DeleteVariantPayload", deletedVariantName: "thumb" });
    const listed = await stack.emulator.api<{ variants: Record<string, unknown> }>("GET", "/v1/variants");
    expect(Object.keys(listed.body.result.variants)).toEqual(["public"]);
  });

  it("lets later fields of the same request see a variant created or deleted before them", async () => {
    const { id } = await uploaded(stack.emulator);
    const definitions = `... on UpdateImagePayload { image { variants { name variant { name } } } }`;
    type Read = { image: { variants: { name: string; variant: { name: string } | null }[] } };
    const answer = await stack.gql<{ before: Read; created: Read; deleted: Read }>(
      `mutation($id: ID!, $input: CreateVariantInput!) {
        before: updateImage(input: { imageId: $id, creator: "a" }) { ${definitions} }
        createVariant(input: $input) { __typename }
        created: updateImage(input: { imageId: $id, creator: "b" }) { ${definitions} }
        deleteVariant(input: { name: "thumb" }) { __typename }
        deleted: updateImage(input: { imageId: $id, creator: "c" }) { ${definitions} }
      }`,
      { id, input: thumb() },
    );
    expect(answer.errors).toBeUndefined();
    const names = (read: Read | undefined) => read?.image.variants.map((v) => [v.name, v.variant?.name ?? null]);
    expect(names(answer.data?.before)).toEqual([["public", "public"]]);
    // The variant list read for "before" is not served again after the change: the definition resolves.
    expect(names(answer.data?.created)).toEqual([
      ["public", "public"],
      ["thumb", "thumb"],
    ]);
    expect(names(answer.data?.deleted)).toEqual([["public", "public"]]);
  });

  it("refuses to delete public with a typed error, without asking the upstream", async () => {
    await stack.emulator.reset();
    const answer = await stack.gql<{ deleteVariant: unknown }>(`mutation {
      deleteVariant(input: { name: "public" }) { __typename ... on ValidationError { message path } }
    }`);
    expect(answer.data?.deleteVariant).toMatchObject({ __typename: "ValidationError", path: ["input", "name"] });
    expect(await stack.emulator.counts()).toEqual({});
    const still = await stack.emulator.api("GET", "/v1/variants/public");
    expect(still.status).toBe(200);
    expect((await stack.emulator.counts())[`DELETE ${VARIANT}`]).toBeUndefined();
  });
});
