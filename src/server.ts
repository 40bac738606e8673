import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GraphQLError } from "graphql";
import { createGraphQLError, createYoga, type YogaServerInstance } from "graphql-yoga";
import { useBlobRoute } from "./blob-route.ts";
import type { Config, UpstreamConfig } from "./config.ts";
import { type Context, createContext } from "./context.ts";
import { upstreamErrorExtensions } from "./schema/errors.ts";
import { schema } from "./schema/index.ts";
import { useStreamingUploads } from "./uploads/use-streaming-uploads.ts";
import { createImagesApi, RequestBudget, Transport, type TransportEvent, UpstreamError } from "./upstream/index.ts";

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

export interface App {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  transport: Transport;
  close(): Promise<void>;
}

/** The GraphQL application, with no side effects: tests can call `yoga.fetch` without a port. */
export function createApp(
  config: Config,
  upstream: UpstreamConfig,
  options: { onUpstreamEvent?: (e: TransportEvent) => void } = {},
): App {
  const transport = new Transport({
    baseUrl: upstream.baseUrl,
    budget: new RequestBudget(config.budget),
    ...config.http,
    onEvent: options.onUpstreamEvent,
  });
  const api = createImagesApi(transport, upstream.accountId, upstream.token);
  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    context: ({ request }) => createContext(api, config, request.signal),
    graphqlEndpoint: "/graphql",
    healthCheckEndpoint: "/health",
    landingPage: false,
    graphiql: { title: "Cloudflare Images GraphQL", defaultQuery: GRAPHIQL_DEFAULT_QUERY },
    maskedErrors: { maskError },
    logging: "warn",
    // Uploads are parsed by useStreamingUploads, which does not hold files in memory as yoga's parser does.
    multipart: false,
    plugins: [useStreamingUploads({ maxFiles: 10, maxFieldBytes: 1024 * 1024 }), useBlobRoute(api)],
  });
  return { yoga, transport, close: () => transport.close() };
}

/** Upstream failures get their firm code; anything unexpected is masked, never explained. */
function maskError(error: unknown, message: string): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const graphqlError = error instanceof GraphQLError ? error : undefined;
  const location = {
    nodes: graphqlError?.nodes,
    path: graphqlError?.path,
    source: graphqlError?.source,
    positions: graphqlError?.positions,
  };
  if (original instanceof UpstreamError) {
    const mapped = upstreamErrorExtensions(original);
    return createGraphQLError(mapped.message, { ...location, extensions: mapped.extensions });
  }
  if (graphqlError && (original === undefined || original instanceof GraphQLError)) {
    if (graphqlError.extensions.code) return graphqlError;
    // Parse, validation and variable errors: the caller's document is at fault.
    return createGraphQLError(graphqlError.message, {
      ...location,
      extensions: { ...graphqlError.extensions, code: "BAD_USER_INPUT" },
    });
  }
  return createGraphQLError(message, { ...location, extensions: { code: "INTERNAL_SERVER_ERROR" } });
}

export interface RunningServer {
  url: URL;
  server: Server;
  /** Stops accepting, lets in-flight requests finish, then closes the upstream pool. */
  close(): Promise<void>;
}

export async function startServer(app: App, options: { host: string; port: number }): Promise<RunningServer> {
  const server = createHttpServer(app.yoga);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: new URL(`http://${host}:${address.port}`),
    server,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await app.close();
    },
  };
}
