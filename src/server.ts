import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createFetch } from "@whatwg-node/fetch";
import { GraphQLError } from "graphql";
import { createGraphQLError, createYoga, type YogaServerInstance } from "graphql-yoga";
import { createAuthenticator } from "./auth/index.ts";
import type { Config, UpstreamConfig } from "./config.ts";
import { type Context, createContext } from "./context.ts";
import { unauthenticated, useAuthentication, viewerOf } from "./plugins/authentication.ts";
import { limitPlugins } from "./plugins/limits.ts";
import { upstreamErrorExtensions } from "./schema/errors.ts";
import { schema } from "./schema/index.ts";
import {
  RequestBudget,
  Transport,
  type TransportEvent,
  UpstreamAuthenticationError,
  UpstreamError,
} from "./upstream/index.ts";

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
  const { limits } = config;
  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    context: ({ request }) =>
      createContext({ transport, upstream, config, viewer: viewerOf(request), signal: request.signal }),
    plugins: [...limitPlugins(limits), useAuthentication(createAuthenticator(config.auth))],
    fetchAPI: createFetch({ formDataLimits: { fileSize: limits.maxUploadBytes, fieldSize: limits.maxBodyBytes } }),
    graphqlEndpoint: "/graphql",
    healthCheckEndpoint: "/health",
    landingPage: false,
    graphiql: limits.graphiql && { title: "Cloudflare Images GraphQL", defaultQuery: GRAPHIQL_DEFAULT_QUERY },
    // Self-contained GraphiQL (no CDN), so it works offline; loaded on the first page view only.
    renderGraphiQL: async (options) => (await import("@graphql-yoga/render-graphiql")).renderGraphiQL(options),
    maskedErrors: { maskError: (error, message) => maskError(error, message, config.auth.mode === "forward") },
    logging: "warn",
  });
  return { yoga, transport, close: () => transport.close() };
}

/**
 * Upstream failures get their firm code; anything unexpected is masked, never explained. In
 * `forward` mode the upstream judges the caller's own token, so its refusal is UNAUTHENTICATED.
 */
function maskError(error: unknown, message: string, forward: boolean): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const graphqlError = error instanceof GraphQLError ? error : undefined;
  const location = {
    nodes: graphqlError?.nodes,
    path: graphqlError?.path,
    source: graphqlError?.source,
    positions: graphqlError?.positions,
  };
  if (forward && original instanceof UpstreamAuthenticationError) {
    return unauthenticated("Cloudflare Images refused your token.");
  }
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
