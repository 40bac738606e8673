import type { GraphQLError } from "graphql";
import type { Scope } from "../auth/index.ts";
import type { Context } from "../context.ts";
import { forbiddenError } from "../errors.ts";

/**
 * Who may read each type, whichever entry point reaches it: its root field, `node`, `nodes` or
 * `_entities`. Any one of the listed scopes is enough. Field rules (`SigningKey.value`) come on top.
 */
export const READ_SCOPES = {
  Image: ["images:read"],
  Variant: ["images:read"],
  SigningKey: ["images:read", "keys:read"],
  BulkJob: ["images:bulk"],
} as const satisfies Record<string, readonly Scope[]>;

export type ReadableType = keyof typeof READ_SCOPES;

/** The rule in Pothos scope-auth's shape, for the root fields that stand for the type. */
export function readScopesOf(type: ReadableType): Partial<Record<Scope, boolean>> {
  return Object.fromEntries(READ_SCOPES[type].map((scope) => [scope, true]));
}

export function mayRead(ctx: Context, type: ReadableType): boolean {
  return READ_SCOPES[type].some((scope) => ctx.viewer.scopes.has(scope));
}

export function forbiddenType(type: ReadableType): GraphQLError {
  return forbiddenError(`Your credentials do not allow reading ${type}.`);
}

/**
 * For the loaders of `node`, `nodes` and `_entities`: refuses before the lookup, so a caller without
 * the scope learns nothing and spends no upstream call.
 */
export function assertMayRead(ctx: Context, type: ReadableType): void {
  if (!mayRead(ctx, type)) throw forbiddenType(type);
}

/**
 * For `node`/`nodes`: the ids of a type the caller may not read are refused each in its own slot
 * (null with FORBIDDEN), before any lookup; the others load as usual.
 */
export function loadIfReadable<T>(
  ctx: Context,
  type: ReadableType,
  ids: readonly string[],
  load: (id: string) => Promise<T>,
): Promise<T>[] {
  if (!mayRead(ctx, type)) return ids.map(() => Promise.reject(forbiddenType(type)));
  return ids.map(load);
}
