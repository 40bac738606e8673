import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import DirectivesPlugin from "@pothos/plugin-directives";
import ErrorsPlugin from "@pothos/plugin-errors";
import FederationPlugin from "@pothos/plugin-federation";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { DateTimeResolver, JSONResolver } from "graphql-scalars";
import type { Scope } from "../auth/index.ts";
import type { Context } from "../context.ts";
import type { IncomingUpload } from "../uploads/incoming-upload.ts";
import { forbidden, UPSTREAM_CALL_COST, upstreamCall } from "./limits.ts";
import { globalIdLookups, UPSTREAM_CALLS } from "./upstream-calls.ts";

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    Upload: { Input: IncomingUpload; Output: never };
  };
  AuthScopes: Record<Scope, boolean>;
  DefaultFieldNullability: false;
}>({
  // Scope auth first, so a field beyond the caller's scopes is refused before anything else runs.
  // Federation last: it must see the resolvers every other plugin has wrapped, and the
  // directives plugin turns its @key annotations into the AST the subgraph SDL is printed from.
  plugins: [ScopeAuthPlugin, ComplexityPlugin, ErrorsPlugin, RelayPlugin, DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    // The connection field multiplies its selection by `first`/`last`; its edges list must not again.
    edgesFieldOptions: { complexity: { field: 1, multiplier: 1 } },
    // Each type's loader applies that type's read scopes (entry-scopes.ts), as its own root field does.
    nodeQueryOptions: {
      complexity: upstreamCall,
      skipTypeScopes: true,
      extensions: { [UPSTREAM_CALLS]: (args: { id: unknown }) => globalIdLookups([args.id]) },
    },
    nodesQueryOptions: {
      skipTypeScopes: true,
      extensions: { [UPSTREAM_CALLS]: (args: { ids: unknown[] }) => globalIdLookups(args.ids) },
      complexity: (args) => ({ field: UPSTREAM_CALL_COST * args.ids.length, multiplier: args.ids.length }),
    },
  },
  errors: {
    defaultTypes: [],
  },
  scopeAuth: {
    // Checked when a subscription is set up, before it polls or waits: not only when an event resolves.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      "images:read": ctx.viewer.scopes.has("images:read"),
      "images:write": ctx.viewer.scopes.has("images:write"),
      "images:bulk": ctx.viewer.scopes.has("images:bulk"),
      "keys:read": ctx.viewer.scopes.has("keys:read"),
      "keys:write": ctx.viewer.scopes.has("keys:write"),
    }),
    unauthorizedError: (_parent, _ctx, info) => forbidden(info),
  },
  // The limit is checked by useRequestCost, once per operation and for `_entities` too.
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 10,
  },
});

builder.addScalarType("DateTime", DateTimeResolver);
builder.addScalarType("JSON", JSONResolver);

// Every query field needs `images:read` unless it says otherwise (`skipTypeScopes` + its own scopes).
builder.queryType({ authScopes: { "images:read": true } });

// Every mutation needs `images:write` by default; key mutations add `skipTypeScopes: true` and
// `authScopes: { "keys:write": true }`.
builder.mutationType({ authScopes: { "images:write": true } });
