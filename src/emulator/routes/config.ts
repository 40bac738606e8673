import type { EmulatorContext } from "../context.ts";
import { apiErrors } from "../errors.ts";
import { envelope, type Router } from "../http.ts";
import { readJsonObject } from "../json-body.ts";

/**
 * `PATCH /v1/config`, documented only for `flexible_variants`. The docs show no GET and no answer
 * body; the emulator answers the settings after the change.
 */
export function registerConfigRoutes(router: Router<EmulatorContext>): void {
  router.add("PATCH", "/accounts/{account_id}/images/v1/config", async (request, _params, ctx) => {
    const body = await readJsonObject(request);
    const unknown = Object.keys(body).filter((name) => name !== "flexible_variants");
    if (unknown.length > 0) throw apiErrors.badRequest(`Unknown setting: ${unknown.join(", ")}`);
    if (typeof body.flexible_variants !== "boolean") throw apiErrors.badRequest("flexible_variants must be a boolean");
    const flexibleVariants = body.flexible_variants;
    await ctx.state.write(() => {
      ctx.state.config = { ...ctx.state.config, flexibleVariants };
    });
    return envelope({ flexible_variants: ctx.state.config.flexibleVariants });
  });
}
