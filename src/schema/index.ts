import { GraphQLDeferDirective, GraphQLStreamDirective } from "@graphql-tools/utils";
import { GraphQLSchema, specifiedDirectives } from "graphql";
import { builder } from "./builder.ts";
import { withCostedFederationFields } from "./federation-cost.ts";
import "./catalogue.ts";
import "./image.ts";
import "./image-facts.ts";
import "./responsive-image.ts";
import "./images-connection.ts";
import "./duplicate-images.ts";
import "./signing-key.ts";
import "./stats.ts";
import "./variant.ts";
import "./upload-scalar.ts";
import "./mutation-errors.ts";
import "./upload-image.ts";
import "./image-mutations.ts";
import "./direct-upload.ts";
import "./variant-mutations.ts";
import "./signing-key-mutations.ts";
import "./subscriptions.ts";
import "./bulk-job.ts";
import "./bulk-job-mutations.ts";

/**
 * The API as ordinary clients know it, without federation's plumbing: what `schema.graphql` shows.
 * It declares `@defer` and `@stream`, which the server accepts (yoga's defer-stream plugin adds the
 * same definitions to the served schema), so client tools can validate documents that use them.
 */
export const clientSchema = builder.toSchema({
  sortSchema: true,
  directives: [...specifiedDirectives, GraphQLDeferDirective, GraphQLStreamDirective],
});

let subgraph: GraphQLSchema | undefined;

/**
 * The same API plus `_service` and `_entities`, for federation gateways only (served at /subgraph);
 * `_entities` costed per representation. The incremental directives are added once here, or yoga's
 * defer-stream plugin would rebuild this schema on every request (the printed SDL is unchanged).
 * Built on the first call, not at start-up: most servers never see a gateway.
 */
export function subgraphSchema(): GraphQLSchema {
  subgraph ??= buildSubgraphSchema();
  return subgraph;
}

function buildSubgraphSchema(): GraphQLSchema {
  const federated = withCostedFederationFields(
    builder.toSubGraphSchema({
      linkUrl: "https://specs.apollo.dev/federation/v2.6",
      sortSchema: true,
    }),
  );
  return new GraphQLSchema({
    ...federated.toConfig(),
    directives: [...federated.getDirectives(), GraphQLDeferDirective, GraphQLStreamDirective],
  });
}
