import { beforeAll, describe, expect, it } from "vitest";
import { useInProcessStack } from "../support/in-process.ts";

const GET_IMAGE = "GET /accounts/{account_id}/images/v1/{image_id}";
const LIST_V2 = "GET /accounts/{account_id}/images/v2";
const LIST_VARIANTS = "GET /accounts/{account_id}/images/v1/variants";

let ids: string[];

const stack = useInProcessStack({ resetEmulatorBeforeEach: true });
beforeAll(async () => {
  const response = await stack.emulator.admin("POST", "/images", { count: 120, creator: "bulk" });
  ids = ((await response.json()) as { ids: string[] }).ids;
  await stack.emulator.api("POST", "/v1/variants", {
    json: { id: "thumb", options: { fit: "cover", metadata: "none", width: 100, height: 100 } },
  });
});

describe("reading images", () => {
  it("answers 20 aliased images over 10 unique ids with at most 10 image calls and one variants call", async () => {
    const unique = ids.slice(0, 10);
    const fields = Array.from(
      { length: 20 },
      (_, i) =>
        `a${i}: image(imageId: "${unique[i % 10]}") { imageId variants { name variant { options { width } } } }`,
    );
    const answer = await stack.gql(`{ ${fields.join("\n")} }`);
    expect(answer.errors).toBeUndefined();
    for (let i = 0; i < 20; i++)
      expect((answer.data?.[`a${i}`] as { imageId: string } | undefined)?.imageId).toBe(unique[i % 10]);
    const counts = await stack.emulator.counts();
    expect(counts[GET_IMAGE]).toBeLessThanOrEqual(10);
    expect(counts[LIST_VARIANTS]).toBe(1);
  });

  it("answers a page of 100 images with variant definitions and URLs in exactly 2 upstream calls", async () => {
    const answer = await stack.gql<{
      images: {
        edges: {
          node: {
            imageId: string;
            url: string;
            variants: { name: string; url: string; variant: { name: string } | null }[];
          };
        }[];
      };
    }>(`{
      images(first: 100) { edges { node { imageId url variants { name url variant { name options { fit width height } } } } } }
    }`);
    expect(answer.errors).toBeUndefined();
    const edges = answer.data?.images.edges ?? [];
    expect(edges).toHaveLength(100);
    const first = edges[0]?.node;
    expect(first?.variants.map((v) => v.name).sort()).toEqual(["public", "thumb"]);
    expect(first?.variants.every((v) => v.variant?.name === v.name && v.url.includes(first.imageId))).toBe(true);
    expect(await stack.emulator.counts()).toEqual({ [LIST_V2]: 1, [LIST_VARIANTS]: 1 });
  });

  it("answers null for an unknown image, without an error", async () => {
    const answer = await stack.gql(`{ image(imageId: "does-not-exist") { imageId } }`);
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ image: null });
  });

  it("refetches images, variants and keys by global id through node and nodes", async () => {
    const first = await stack.gql<{
      image: { id: string };
      variant: { id: string };
      signingKeys: { id: string; name: string }[];
    }>(`{ image(imageId: "${ids[3]}") { id } variant(name: "thumb") { id } signingKeys { id name } }`);
    const imageId = first.data?.image.id;
    const variantId = first.data?.variant.id;
    const keyId = first.data?.signingKeys[0]?.id;
    expect(imageId && imageId !== ids[3]).toBeTruthy();
    const refetch = await stack.gql<{
      node: { imageId: string };
      nodes: ({ name?: string; imageId?: string } | null)[];
    }>(
      `query($a: ID!, $b: [ID!]!) {
        node(id: $a) { ... on Image { imageId } }
        nodes(ids: $b) { ... on Variant { name } ... on SigningKey { name } ... on Image { imageId } }
      }`,
      { a: imageId, b: [variantId, keyId, imageId] },
    );
    expect(refetch.errors).toBeUndefined();
    expect(refetch.data?.node.imageId).toBe(ids[3]);
    expect(refetch.data?.nodes).toEqual([
      { name: "thumb" },
      { name: first.data?.signingKeys[0]?.name },
      { imageId: ids[3] },
    ]);
  });

  it("reads stats with the derived remaining count", async () => {
    const answer = await stack.gql<{ stats: { allowed: number; current: number; remaining: number } }>(
      "{ stats { allowed current remaining } }",
    );
    expect(answer.data?.stats.current).toBe(120);
    expect(answer.data?.stats.remaining).toBe((answer.data?.stats.allowed ?? 0) - 120);
  });
});

describe("across requests", () => {
  it("shares one upstream call between identical in-flight lookups of concurrent GraphQL requests", async () => {
    // The upstream answers slowly, so the five requests are all waiting on the same lookup.
    const slow = await stack.emulator.admin("POST", "/latency", {
      ms: 1500,
      route: "/accounts/{account_id}/images/v1/{image_id}",
    });
    expect(slow.ok).toBe(true);
    const document = `{ image(imageId: "${ids[7]}") { imageId filename } }`;
    const answers = await Promise.all(Array.from({ length: 5 }, () => stack.gql(document)));
    for (const answer of answers) expect(answer.data).toEqual(answers[0]?.data);
    expect(answers[0]?.data).toEqual({ image: { imageId: ids[7], filename: expect.any(String) } });
    expect((await stack.emulator.counts())[GET_IMAGE]).toBe(1);
    // Once settled, a new request asks again: coalescing is not a cache.
    await stack.emulator.reset();
    await stack.gql(document);
    expect((await stack.emulator.counts())[GET_IMAGE]).toBe(1);
  });
});

describe("documents the caller got wrong", () => {
  it("answers syntax, validation and variable errors with BAD_USER_INPUT and HTTP 400, calling nothing", async () => {
    const documents: [string, Record<string, unknown>?][] = [
      ["{ image(imageId: "],
      ["{ nope }"],
      ["query($x: Int!) { image(imageId: $x) { imageId } }", { x: 1 }],
      ["query($x: ID!) { image(imageId: $x) { imageId } }", { x: null }],
    ];
    for (const [document, variables] of documents) {
      const answer = await stack.gql(document, variables);
      expect(answer.status, document).toBe(400);
      expect(answer.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    }
    expect(await stack.emulator.counts()).toEqual({});
  });
});
