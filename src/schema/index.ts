import { GraphQLSchema } from "graphql";
import { builder } from "./builder.ts";
import "./image.ts";
import "./images-connection.ts";
import "./signing-key.ts";
import "./stats.ts";
import "./variant.ts";

/** The API as ordinary clients know it, without federation's plumbing: what `schema.graphql` shows. */
export const clientSchema = withoutEmptyMutationType(builder.toSchema({ sortSchema: true }));

/**
 * What the server serves at /graphql: the same API plus `_service` and `_entities`, so one endpoint
 * answers ordinary clients and a federation gateway alike.
 */
export const schema = withoutEmptyMutationType(
  builder.toSubGraphSchema({ linkUrl: "https://specs.apollo.dev/federation/v2.6", sortSchema: true }),
);

/**
 * `builder.ts` declares the Mutation type up front so that every mutation gets its default scope;
 * until one exists the type is empty, which GraphQL does not allow, so it is left out.
 */
function withoutEmptyMutationType(schema: GraphQLSchema): GraphQLSchema {
  if (Object.keys(schema.getMutationType()?.getFields() ?? {}).length > 0) return schema;
  const config = schema.toConfig();
  return new GraphQLSchema({ ...config, mutation: null, types: config.types.filter((t) => t.name !== "Mutation") });
}
