import { encodeGlobalID } from "@pothos/plugin-relay";
import type { SigningKey } from "../upstream/index.ts";
import { builder } from "./builder.ts";
import { CHANGE_ERRORS, COMMON_ERRORS, ConflictError, resultUnion } from "./mutation-errors.ts";
import { checkName } from "./mutation-input.ts";
import { runMutation } from "./run-mutation.ts";
import { SigningKeyRef } from "./signing-key.ts";
import { UPSTREAM_CALLS } from "./upstream-calls.ts";

const MAX_KEY_NAME_CHARS = 20;

const CreateSigningKeyInput = builder.inputType("CreateSigningKeyInput", {
  fields: (t) => ({
    name: t.string({ required: true, description: "1 to 20 characters." }),
    rotate: t.boolean({
      defaultValue: false,
      description:
        "Replace the value of an existing key of this name (URLs signed with the old value stop working). Without it, an existing name is a ConflictError.",
    }),
  }),
});

const DeleteSigningKeyInput = builder.inputType("DeleteSigningKeyInput", {
  fields: (t) => ({ name: t.string({ required: true }) }),
});

// Payloads carry the key as `SigningKey`, whose value is not exposed: no caller may read it yet.
const CreateSigningKeyPayload = builder.objectRef<{ signingKey: SigningKey }>("CreateSigningKeyPayload").implement({
  fields: (t) => ({
    signingKey: t.field({ type: SigningKeyRef, resolve: (p) => p.signingKey }),
  }),
});

const DeleteSigningKeyPayload = builder
  .objectRef<{ name: string; remaining: SigningKey[] }>("DeleteSigningKeyPayload")
  .implement({
    fields: (t) => ({
      deletedSigningKeyName: t.string({ resolve: (p) => p.name }),
      deletedId: t.id({ resolve: (p) => encodeGlobalID("SigningKey", p.name) }),
      signingKeys: t.field({
        type: [SigningKeyRef],
        description: "The keys left; after the last one goes, the upstream makes a new default key.",
        resolve: (p) => p.remaining,
      }),
    }),
  });

const CREATE_ERRORS = [...COMMON_ERRORS, ConflictError] as const;

function target(name: string, existing: boolean) {
  const errors = existing ? CHANGE_ERRORS : CREATE_ERRORS;
  return { resource: "SIGNING_KEY", id: name, idPath: ["input", "name"], existing, errors } as const;
}

builder.mutationFields((t) => ({
  createSigningKey: t.field({
    extensions: { [UPSTREAM_CALLS]: { calls: 1, shared: ["signingKeys"] } },
    type: CreateSigningKeyPayload,
    skipTypeScopes: true,
    authScopes: { "keys:write": true },
    args: { input: t.arg({ type: CreateSigningKeyInput, required: true }) },
    errors: resultUnion("CreateSigningKeyResult", CREATE_ERRORS),
    resolve: async (_root, { input }, ctx) => {
      const name = checkName(input.name, MAX_KEY_NAME_CHARS, "signing key", ["input", "name"]);
      // The upstream's PUT silently replaces an existing key, which breaks every URL signed with it:
      // the check reads the upstream as it is now, past any cached list.
      if (!input.rotate && (await ctx.api.keys.list({ fresh: true })).some((k) => k.name === name)) {
        throw new ConflictError(`A signing key named "${name}" exists; set rotate to replace it.`, ["input", "name"]);
      }
      const keys = await runMutation(ctx, target(name, false), (writes, scope) => writes.createSigningKey(scope, name));
      const signingKey = keys.find((k) => k.name === name);
      if (!signingKey) throw new Error(`The upstream did not list the new key ${name}`);
      return { signingKey };
    },
  }),
  deleteSigningKey: t.field({
    extensions: { [UPSTREAM_CALLS]: { calls: 1, shared: ["signingKeys"] } },
    type: DeleteSigningKeyPayload,
    skipTypeScopes: true,
    authScopes: { "keys:write": true },
    args: { input: t.arg({ type: DeleteSigningKeyInput, required: true }) },
    errors: resultUnion("DeleteSigningKeyResult", CHANGE_ERRORS),
    resolve: async (_root, { input }, ctx) => {
      const remaining = await runMutation(ctx, target(input.name, true), (writes, scope) =>
        writes.deleteSigningKey(scope, input.name),
      );
      return { name: input.name, remaining };
    },
  }),
}));
