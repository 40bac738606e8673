import type { Context } from "../context.ts";
import type { WriteScope, Writes } from "../writes/index.ts";
import { type Target, typedRefusal } from "./mutation-errors.ts";

/**
 * Every mutation's write, through the app's one write path with the request's api, tenant and
 * loaders: a refusal of the upstream becomes the mutation's typed error (`target` says which).
 */
export async function runMutation<T>(
  ctx: Context,
  target: Target,
  write: (writes: Writes, scope: WriteScope) => Promise<T>,
): Promise<T> {
  try {
    return await write(ctx.writes, writeScopeOf(ctx));
  } catch (error) {
    throw typedRefusal(error, target);
  }
}

function writeScopeOf(ctx: Context): WriteScope {
  return { api: ctx.api, tenant: ctx.upstreamKey, loaders: ctx.loaders };
}
