import type { SigningKey } from "../upstream/index.ts";
import { builder } from "./builder.ts";

export const SigningKeyRef = builder.objectRef<SigningKey>("SigningKey");

builder.node(SigningKeyRef, {
  description: "A key that signs delivery URLs of private images. Its value is a secret and is not exposed here.",
  id: { resolve: (key) => key.name },
  isTypeOf: (value) => typeof value === "object" && value !== null && "name" in value && "value" in value,
  loadManyWithoutCache: async (names, ctx) => {
    const keys = await ctx.loaders.signingKeys();
    return names.map((name) => keys.find((k) => k.name === name) ?? null);
  },
  fields: (t) => ({
    name: t.exposeString("name"),
  }),
});

builder.queryFields((t) => ({
  signingKeys: t.field({
    type: [SigningKeyRef],
    resolve: (_root, _args, ctx) => ctx.loaders.signingKeys(),
  }),
}));
