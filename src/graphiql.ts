import type { YogaServerOptions } from "graphql-yoga";

export const GRAPHIQL_DEFAULT_QUERY = `# Cloudflare Images over GraphQL. Press the run button (or Ctrl+Enter).
# Page on with: images(first: 5, after: "<endCursor>")
query NewestImages {
  images(first: 5) {
    edges {
      node {
        imageId
        filename
        creator
        uploaded
        requireSignedURLs
        meta
        url(variant: "public")
        variants {
          name
          url
          variant { options { fit width height } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
  stats { current allowed remaining }
}
`;

/**
 * yoga's GraphiQL options: the page on the client path only, when GraphiQL is on. The bundle is
 * served from this process, not from a CDN, so it works offline and behind strict egress; it is
 * loaded on the first page view only, since its inline bundle costs about 50 MB of memory.
 */
export function graphiqlOptions(
  enabled: boolean,
  isSubgraphRequest: (request: Request) => boolean,
): Pick<YogaServerOptions<object, object>, "graphiql" | "renderGraphiQL"> {
  return {
    graphiql: (request) =>
      enabled &&
      !isSubgraphRequest(request) && { title: "Cloudflare Images GraphQL", defaultQuery: GRAPHIQL_DEFAULT_QUERY },
    renderGraphiQL: async (options) => (await import("@graphql-yoga/render-graphiql")).renderGraphiQL(options),
  };
}
