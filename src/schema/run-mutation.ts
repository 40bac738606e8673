import type { Context } from "../context.ts";
import type { Loaders } from "../loaders.ts";
import type { CloudflareImagesApi } from "../upstream/index.ts";
import { type Target, typedRefusal } from "./mutation-errors.ts";

/**
 * Every mutation's upstream call: a refusal becomes the mutation's typed error (`target` says
 * which), and after a change the request's loaders are forgotten, so nothing later in the same
 * request reads what the change made stale, then seeded by `afterwards` with what the call returned.
 */
export async function runMutation<T>(
  ctx: Context,
  target: Target,
  call: (api: CloudflareImagesApi) => Promise<T>,
  afterwards?: (result: T, loaders: Loaders) => void,
): Promise<T> {
  let result: T;
  try {
    result = await call(ctx.api);
  } catch (error) {
    throw typedRefusal(error, target);
  }
  ctx.loaders.clearAll();
  afterwards?.(result, ctx.loaders);
  return result;
}
