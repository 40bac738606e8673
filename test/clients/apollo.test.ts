import { ApolloClient, gql, InMemoryCache } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";
import UploadHttpLink from "apollo-upload-client/UploadHttpLink.mjs";
import { beforeAll, describe, expect, it } from "vitest";
import possibleTypes from "../../schema/possible-types.json" with { type: "json" };
import { samplePng } from "../../src/emulator/samples/index.ts";
import { useTestStack } from "../support/server.ts";

const LIST_V2 = "GET /accounts/{account_id}/images/v2";
const TOTAL = 23;

const IMAGES = gql`
  query Images($first: Int, $after: String, $last: Int, $before: String, $sortOrder: SortOrder) {
    images(first: $first, after: $after, last: $last, before: $before, sortOrder: $sortOrder) {
      edges { cursor node { id imageId meta } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

interface ImagesData {
  images: {
    edges: { cursor: string; node: { id: string; imageId: string; meta: Record<string, unknown> } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

/** Upload order: oldest first. */
let all: string[];

// Upstream pages of 10: the walks below cross several of them.
const stack = useTestStack({ resetEmulatorBeforeEach: true, env: { UPSTREAM_PAGE_SIZE: "10" } });
beforeAll(async () => {
  const response = await stack.emulator.admin("POST", "/images", { count: TOTAL });
  all = ((await response.json()) as { ids: string[] }).ids;
}, 60_000);

/** The configuration the README gives, pointed at the real server. */
function apolloClient() {
  return new ApolloClient({
    link: new UploadHttpLink({
      uri: new URL("/graphql", stack.server.url).toString(),
      headers: { "Apollo-Require-Preflight": "true" },
    }),
    cache: new InMemoryCache({
      possibleTypes,
      typePolicies: { Query: { fields: { images: relayStylePagination(["filter", "sortOrder"]) } } },
    }),
  });
}

const idsOf = (data: ImagesData | undefined | null) => data?.images.edges.map((e) => e.node.imageId) ?? [];

describe("Apollo Client 4", () => {
  it("pages forward with fetchMore, merging the pages in its normalized cache", async () => {
    const client = apolloClient();
    const watched = client.watchQuery<ImagesData>({ query: IMAGES, variables: { first: 5, sortOrder: "ASC" } });
    const subscription = watched.subscribe(() => {});
    try {
      let { data } = await watched.refetch();
      while (data?.images.pageInfo.hasNextPage) {
        ({ data } = await watched.fetchMore({ variables: { after: data.images.pageInfo.endCursor } }));
      }
      const merged = client.readQuery<ImagesData>({ query: IMAGES, variables: { first: 5, sortOrder: "ASC" } });
      expect(idsOf(merged)).toEqual(all);
      expect(merged?.images.pageInfo.hasNextPage).toBe(false);
    } finally {
      subscription.unsubscribe();
    }
  });

  it("pages backward with last/before, prepending each page, until hasPreviousPage is false", async () => {
    const client = apolloClient();
    const variables = { last: 4, sortOrder: "ASC" };
    const watched = client.watchQuery<ImagesData>({ query: IMAGES, variables });
    const subscription = watched.subscribe(() => {});
    try {
      let { data } = await watched.refetch();
      expect(idsOf(data)).toEqual(all.slice(-4));
      let pages = 1;
      for (;;) {
        const merged = client.readQuery<ImagesData>({ query: IMAGES, variables });
        if (!merged?.images.pageInfo.hasPreviousPage) break;
        ({ data } = await watched.fetchMore({ variables: { before: merged.images.pageInfo.startCursor } }));
        pages += 1;
      }
      expect(idsOf(client.readQuery<ImagesData>({ query: IMAGES, variables }))).toEqual(all);
      expect(pages).toBe(Math.ceil(TOTAL / 4));
    } finally {
      subscription.unsubscribe();
    }
  });

  it("updates the cached image after a mutation, without refetching the list; typed errors match through possibleTypes", async () => {
    const client = apolloClient();
    await client.query<ImagesData>({ query: IMAGES, variables: { first: 5, sortOrder: "ASC" } });
    const target = all[2] as string;
    await stack.emulator.reset();
    const UPDATE = gql`
      mutation Update($input: UpdateImageInput!) {
        updateImage(input: $input) {
          __typename
          ... on UpdateImagePayload { image { id meta } }
          ... on MutationError { message }
        }
      }
    `;
    const updated = await client.mutate<{ updateImage: { __typename: string; image?: { meta: unknown } } }>({
      mutation: UPDATE,
      variables: { input: { imageId: target, metadata: { album: "edited by apollo" } } },
    });
    expect(updated.data?.updateImage.__typename).toBe("UpdateImagePayload");
    const cached = client.readQuery<ImagesData>({ query: IMAGES, variables: { first: 5, sortOrder: "ASC" } });
    expect(cached?.images.edges[2]?.node.meta).toEqual({ album: "edited by apollo" });
    expect((await stack.emulator.counts())[LIST_V2]).toBeUndefined();

    const refused = await client.mutate<{ updateImage: { __typename: string; message?: string } }>({
      mutation: UPDATE,
      variables: { input: { imageId: target } },
    });
    expect(refused.data?.updateImage.__typename).toBe("ValidationError");
    expect(refused.data?.updateImage.message).toEqual(expect.any(String));
  });

  it("uploads a file with UploadHttpLink (GraphQL multipart request)", async () => {
    const client = apolloClient();
    const file = new File([samplePng(8, 8)], "from-apollo.png", { type: "image/png" });
    const answer = await client.mutate<{
      uploadImage: { __typename: string; image?: { imageId: string; filename: string } };
    }>({
      mutation: gql`
        mutation Upload($file: Upload!) {
          uploadImage(input: { file: $file, metadata: { via: "apollo" } }) {
            __typename
            ... on UploadImagePayload { image { id imageId filename } }
            ... on MutationError { message }
          }
        }
      `,
      variables: { file },
    });
    expect(answer.data?.uploadImage.__typename).toBe("UploadImagePayload");
    const imageId = answer.data?.uploadImage.image?.imageId as string;
    const stored = await stack.emulator.api<{ filename: string; meta: unknown }>("GET", `/v1/${imageId}`);
    expect(stored.body.result).toMatchObject({ filename: "from-apollo.png", meta: { via: "apollo" } });
  });
});
