import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { createGatewayRuntime, Logger } from "@graphql-hive/gateway-runtime";
import { composeServices, compositionHasErrors } from "@theguild/federation-composition";
import { parse } from "graphql";
import { createYoga } from "graphql-yoga";

export { postGraphQL } from "./server.ts";

/** One profile of the test's second subgraph: its avatar and banner are references into ours. */
export interface Profile {
  id: string;
  name: string;
  avatarImageId: string | null;
  bannerVariant: string | null;
}

export interface Listening {
  url: URL;
  close(): Promise<void>;
}

/** The `/graphql` URL of a listening server. */
export const graphqlUrl = (server: Listening) => new URL("/graphql", server.url);

/** Our server's gateway endpoint: the subgraph, with `_service` and `_entities`. */
export const subgraphUrl = (server: Listening) => new URL("/subgraph", server.url);

// Another team's subgraph, written the way they would: plain SDL and resolvers, owning `Profile`
// and pointing at our entities by key only.
const PROFILES_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

  type Profile @key(fields: "id") {
    id: ID!
    name: String!
    avatar: Image
    banner: Variant
  }

  type Image @key(fields: "imageId", resolvable: false) {
    imageId: ID!
  }

  type Variant @key(fields: "name", resolvable: false) {
    name: String!
  }

  type Query {
    profiles(group: String!): [Profile!]!
  }
`;

/** The `profiles` subgraph (graphql-yoga + `@apollo/subgraph`) on a random 127.0.0.1 port. */
export function startProfilesSubgraph(groups: Record<string, readonly Profile[]>): Promise<Listening> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(PROFILES_SDL),
    resolvers: {
      Query: { profiles: (_root: unknown, { group }: { group: string }) => groups[group] ?? [] },
      Profile: {
        avatar: (p: Profile) => (p.avatarImageId === null ? null : { imageId: p.avatarImageId }),
        banner: (p: Profile) => (p.bannerVariant === null ? null : { name: p.bannerVariant }),
      },
    },
  });
  return listen(createServer(createYoga({ schema, logging: false })));
}

export const profilesSdl = PROFILES_SDL;

/** Composes the supergraph with a real composition library; throws with every error on failure. */
export function composeSupergraph(services: { name: string; url: URL; sdl: string }[]): string {
  const result = composeServices(
    services.map(({ name, url, sdl }) => ({ name, url: url.toString(), typeDefs: parse(sdl) })),
  );
  if (compositionHasErrors(result)) {
    throw new Error(`composition failed:\n${result.errors.map((e) => e.message).join("\n")}`);
  }
  return result.supergraphSdl;
}

export interface Gateway extends Listening {
  /** Every message the gateway logged at warn level or above. */
  warnings: string[];
}

/** A real Hive gateway over the supergraph, served with node:http on a random port. */
export async function startGateway(supergraph: string): Promise<Gateway> {
  const warnings: string[] = [];
  const runtime = createGatewayRuntime({
    supergraph,
    logging: new Logger({
      level: "warn",
      writers: [{ write: (level, attrs, msg) => void warnings.push(`${level}: ${msg} ${JSON.stringify(attrs)}`) }],
    }),
  });
  const server = await listen(createServer(runtime));
  return {
    ...server,
    warnings,
    close: async () => {
      await server.close();
      await runtime.dispose();
    },
  };
}

export interface CountingProxy extends Listening {
  /** The GraphQL documents of every request that went through, in arrival order. */
  readonly documents: string[];
}

/**
 * Sits between the gateway and `target` (whatever path the gateway calls) and records each GraphQL request, so a test can count
 * how many `_entities` requests the gateway really sent.
 */
export function startCountingProxy(target: URL): Promise<CountingProxy> {
  const documents: string[] = [];
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    if (request.method === "POST") documents.push((JSON.parse(body) as { query?: string }).query ?? "");
    const headers = new Headers();
    for (const name of ["content-type", "accept"]) {
      const value = request.headers[name];
      if (typeof value === "string") headers.set(name, value);
    }
    const url = new URL(target);
    url.search = new URL(request.url ?? "/", target).search;
    const answer = await fetch(url, {
      method: request.method,
      headers,
      body: request.method === "POST" ? body : undefined,
    });
    response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    response.end(Buffer.from(await answer.arrayBuffer()));
  });
  return listen(server).then((listening) => ({ ...listening, documents }));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
