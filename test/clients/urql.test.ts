import { readFile } from "node:fs/promises";
import { Client, fetchExchange, gql } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { buildSchema, introspectionFromSchema } from "graphql";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { useTestStack } from "../support/server.ts";

const LIST_V2 = "GET /accounts/{account_id}/images/v2";
const TOTAL = 23;

const IMAGES = gql`
  query Images($first: Int, $after: String, $last: Int, $before: String, $sortOrder: SortOrder) {
    images(first: $first, after: $after, last: $last, before: $before, sortOrder: $sortOrder) {
      edges { cursor node { id imageId meta variants { name url variant { id name options { fit width } } } } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
    stats { allowed current remaining }
  }
`;

interface ImagesData {
  images: {
    edges: { cursor: string; node: { id: string; imageId: string; meta: Record<string, unknown> } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

let all: string[];
let schema: ReturnType<typeof introspectionFromSchema>;
let warnings: ReturnType<typeof vi.spyOn>;
/** The HTTP methods urql used, seen through the fetch it is given (the real one). */
let methods: string[];

const stack = useTestStack({ env: { UPSTREAM_PAGE_SIZE: "10" } });
beforeAll(async () => {
  const response = await stack.emulator.admin("POST", "/images", { count: TOTAL });
  all = ((await response.json()) as { ids: string[] }).ids;
  const sdl = await readFile(new URL("../../schema/schema.graphql", import.meta.url), "utf8");
  schema = introspectionFromSchema(buildSchema(sdl));
}, 60_000);
beforeEach(async () => {
  await stack.emulator.reset();
  methods = [];
  warnings = vi.spyOn(console, "warn");
});
afterEach(() => {
  // graphcache warns about anything it cannot normalize (a key-less type, an unknown fragment type).
  expect(warnings.mock.calls).toEqual([]);
  warnings.mockRestore();
});

/** The configuration the README gives; everything else is urql's default (queries over GET). */
function urqlClient() {
  return new Client({
    url: new URL("/graphql", stack.server.url).toString(),
    fetch: (input, init) => {
      methods.push(init?.method ?? "GET");
      return fetch(input, init);
    },
    exchanges: [
      cacheExchange({
        schema,
        keys: { ImageVariant: () => null, VariantOptions: () => null, ImageStats: () => null },
        resolvers: { Query: { images: relayPagination() } },
      }),
      fetchExchange,
    ],
  });
}

const idsOf = (data: ImagesData | undefined) => data?.images.edges.map((e) => e.node.imageId) ?? [];

describe("urql with graphcache, on its defaults", () => {
  it("pages forward over GET, relayPagination merging the pages", async () => {
    const client = urqlClient();
    let data: ImagesData | undefined;
    let after: string | null = null;
    do {
      const result = await client.query<ImagesData>(IMAGES, { first: 5, after, sortOrder: "ASC" }).toPromise();
      expect(result.error).toBeUndefined();
      data = result.data;
      after = data?.images.pageInfo.endCursor ?? null;
    } while (data?.images.pageInfo.hasNextPage);
    expect(idsOf(data)).toEqual(all);
    expect(new Set(methods)).toEqual(new Set(["GET"]));
  });

  it("pages backward with last/before until hasPreviousPage is false", async () => {
    const client = urqlClient();
    let data: ImagesData | undefined;
    let before: string | null = null;
    do {
      const result = await client.query<ImagesData>(IMAGES, { last: 6, before, sortOrder: "ASC" }).toPromise();
      expect(result.error).toBeUndefined();
      data = result.data;
      before = data?.images.pageInfo.startCursor ?? null;
    } while (data?.images.pageInfo.hasPreviousPage);
    expect(idsOf(data)).toEqual(all);
  });

  it("updates the cached image after a mutation, without refetching the list", async () => {
    const client = urqlClient();
    const variables = { first: 5, sortOrder: "ASC" };
    await client.query<ImagesData>(IMAGES, variables).toPromise();
    await stack.emulator.reset();
    const updated = await client
      .mutation(
        gql`
          mutation Update($input: UpdateImageInput!) {
            updateImage(input: $input) {
              __typename
              ... on UpdateImagePayload { image { id meta } }
              ... on MutationError { message }
            }
          }
        `,
        { input: { imageId: all[1], metadata: { album: "edited by urql" } } },
      )
      .toPromise();
    expect(updated.data?.updateImage.__typename).toBe("UpdateImagePayload");
    expect(methods.at(-1)).toBe("POST");
    const cached = await client.query<ImagesData>(IMAGES, variables, { requestPolicy: "cache-only" }).toPromise();
    expect(cached.data?.images.edges[1]?.node.meta).toEqual({ album: "edited by urql" });
    expect((await stack.emulator.counts())[LIST_V2]).toBeUndefined();
  });

  it("uploads a file: urql sends a multipart request, with the preflight header on that operation", async () => {
    const client = urqlClient();
    const file = new File([samplePng(8, 8)], "from-urql.png", { type: "image/png" });
    const answer = await client
      .mutation(
        gql`
          mutation Upload($file: Upload!) {
            uploadImage(input: { file: $file }) {
              __typename
              ... on UploadImagePayload { image { id imageId filename } }
              ... on MutationError { message }
            }
          }
        `,
        { file },
        { fetchOptions: { headers: { "apollo-require-preflight": "true" } } },
      )
      .toPromise();
    expect(answer.error).toBeUndefined();
    expect(answer.data?.uploadImage.__typename).toBe("UploadImagePayload");
    const stored = await stack.emulator.api<{ filename: string }>(
      "GET",
      `/v1/${answer.data?.uploadImage.image.imageId}`,
    );
    expect(stored.body.result.filename).toBe("from-urql.png");
  });
});
