import type { SigningKey } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { loadIfReadable, readScopesOf } from "./entry-scopes.ts";
import { upstreamCall } from "./limits.ts";
import { sharedLookup, UPSTREAM_CALLS } from "./upstream-calls.ts";

export const SigningKeyRef = builder.objectRef<SigningKey>("SigningKey");

builder.node(SigningKeyRef, {
  description: "A key that signs delivery URLs of private images.",
  id: { resolve: (key) => key.name },
  isTypeOf: (value) => typeof value === "object" && value !== null && "name" in value && "value" in value,
  loadManyWithoutCache: (names, ctx) =>
    loadIfReadable(
      ctx,
      "SigningKey",
      names,
      async (name) => (await ctx.loaders.signingKeys()).find((k) => k.name === name) ?? null,
    ),
  fields: (t) => ({
    name: t.exposeString("name"),
    value: t.string({
      description: "The key's secret value. Needs the `keys:read` scope: null with FORBIDDEN otherwise.",
      nullable: true,
      authScopes: { "keys:read": true },
      extensions: { [UPSTREAM_CALLS]: sharedLookup("signingKeys") },
      // Read from the request's key list, so the secret is never kept anywhere else.
      resolve: async (key, _args, ctx) =>
        (await ctx.loaders.signingKeys()).find((k) => k.name === key.name)?.value ?? null,
    }),
  }),
});

builder.queryFields((t) => ({
  signingKeys: t.field({
    type: [SigningKeyRef],
    description: "The account's signing keys (names with `images:read` or `keys:read`; values need `keys:read`).",
    complexity: upstreamCall,
    extensions: { [UPSTREAM_CALLS]: sharedLookup("signingKeys") },
    skipTypeScopes: true,
    authScopes: readScopesOf("SigningKey"),
    resolve: (_root, _args, ctx) => ctx.loaders.signingKeys(),
  }),
}));
