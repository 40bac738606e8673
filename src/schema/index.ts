import { GraphQLSchema } from "graphql";
import { builder } from "./builder.ts";
import "./image.ts";
import "./images-connection.ts";
import "./signing-key.ts";
import "./stats.ts";
import "./variant.ts";

const built = builder.toSchema({ sortSchema: true });

/**
 * `builder.ts` declares the Mutation type up front so that every mutation gets its default scope;
 * until one exists the type is empty, which GraphQL does not allow, so it is left out.
 */
export const schema =
  Object.keys(built.getMutationType()?.getFields() ?? {}).length > 0 ? built : withoutMutationType(built);

function withoutMutationType(schema: GraphQLSchema): GraphQLSchema {
  const config = schema.toConfig();
  return new GraphQLSchema({ ...config, mutation: null, types: config.types.filter((t) => t.name !== "Mutation") });
}
