import { builder } from "./builder.ts";
import "./image.ts";
import "./images-connection.ts";
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

/** The API as ordinary clients know it, without federation's plumbing: what `schema.graphql` shows. */
export const clientSchema = builder.toSchema({ sortSchema: true });

/** The same API plus `_service` and `_entities`, for federation gateways only (served at /subgraph). */
export const subgraphSchema = builder.toSubGraphSchema({
  linkUrl: "https://specs.apollo.dev/federation/v2.6",
  sortSchema: true,
});
