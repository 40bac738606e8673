import { GraphQLObjectType, GraphQLSchema } from "graphql";
import { UPSTREAM_CALL_COST } from "./limits.ts";
import { type CallEstimate, type SharedLookup, UPSTREAM_CALLS } from "./upstream-calls.ts";

/**
 * The federation plugin adds `_entities` and `_service` outside Pothos, so they carry no cost of
 * their own: `_entities` is weighed per representation like `nodes` per id, `_service` costs no call.
 */
export function withCostedFederationFields(served: GraphQLSchema): GraphQLSchema {
  const query = served.getQueryType();
  if (!query) return served;
  const config = query.toConfig();
  const entities = config.fields._entities;
  const service = config.fields._service;
  if (entities) {
    entities.extensions = {
      ...entities.extensions,
      complexity: ({ representations }: { representations: unknown[] }) => ({
        field: UPSTREAM_CALL_COST * representations.length,
        multiplier: representations.length,
      }),
      [UPSTREAM_CALLS]: ({ representations }: { representations: unknown[] }) => entityLookups(representations),
    };
  }
  if (service) service.extensions = { ...service.extensions, [UPSTREAM_CALLS]: { calls: 0 } };
  const costed = new GraphQLObjectType(config);
  const schemaConfig = served.toConfig();
  return new GraphQLSchema({
    ...schemaConfig,
    query: costed,
    types: schemaConfig.types.map((type) => (type === query ? costed : type)),
  });
}

/** One call per distinct image, one variants call for any number of variants. */
function entityLookups(representations: readonly unknown[]): CallEstimate {
  const images = new Set<string>();
  const shared = new Set<SharedLookup>();
  for (const representation of representations) {
    const { __typename, imageId } = (representation ?? {}) as { __typename?: unknown; imageId?: unknown };
    if (__typename === "Image" && typeof imageId === "string") images.add(imageId);
    if (__typename === "Variant") shared.add("variants");
  }
  return { calls: images.size, shared: [...shared] };
}
