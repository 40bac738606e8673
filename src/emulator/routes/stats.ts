import type { EmulatorContext } from "../context.ts";
import { envelope, type Router } from "../http.ts";

export function registerStatsRoutes(router: Router<EmulatorContext>): void {
  router.add("GET", "/accounts/{account_id}/images/v1/stats", async (_request, _params, ctx) => {
    let current = 0;
    // Drafts are not stored images yet, so they do not count against the allowance.
    for (const image of ctx.state.images.values()) if (!image.draft) current += 1;
    return envelope({ count: { allowed: ctx.config.limits.allowedImages, current } });
  });
}
