import type { EmulatorContext } from "../context.ts";
import { REAL_RATE_LIMIT } from "../control.ts";
import type { Router } from "../http.ts";
import type { Snapshot } from "../state.ts";
import { createBulkImages } from "./admin-bulk-images.ts";
import { adminInputError, parseFaults, parseLatency, parseRateLimit, readAdminBody } from "./admin-input.ts";

/**
 * Test hooks under `/__emulator/` (no auth, not counted): request counts, reset, injected latency,
 * faults and rate limiting, and bulk image creation for tests and the benchmark.
 */
export function registerAdminRoutes(router: Router<EmulatorContext>, { initial }: { initial: Snapshot }): void {
  router
    .add("GET", "/__emulator/requests", async (_request, _params, ctx) =>
      Response.json(Object.fromEntries(ctx.control.counts)),
    )
    .add("POST", "/__emulator/reset", async (request, _params, ctx) => {
      const body = await readAdminBody(request);
      if (body.data !== undefined && typeof body.data !== "boolean") throw adminInputError("data must be a boolean");
      ctx.control.reset();
      if (body.data === true) await restoreData(ctx, initial);
      return Response.json({ ok: true, data: body.data === true });
    })
    .add("POST", "/__emulator/latency", async (request, _params, ctx) => {
      const latency = parseLatency(await readAdminBody(request));
      if (latency.route === undefined) ctx.control.fixedLatencyMs = latency.ms;
      else ctx.control.routeLatencyMs.set(`${latency.method} ${latency.route}`, latency.ms);
      return Response.json({ ok: true, ...latency });
    })
    .add("POST", "/__emulator/faults", async (request, _params, ctx) => {
      ctx.control.faults.push(...parseFaults(await readAdminBody(request, { allowArray: true })));
      return Response.json({ ok: true, faults: ctx.control.faults });
    })
    .add("POST", "/__emulator/rate-limit", async (request, _params, ctx) => {
      const spec = parseRateLimit(await readAdminBody(request), REAL_RATE_LIMIT);
      ctx.control.setRateLimit(spec);
      return Response.json({ ok: true, rateLimit: spec ?? null });
    })
    .add("POST", "/__emulator/images", async (request, _params, ctx) =>
      Response.json({ ids: await createBulkImages(await readAdminBody(request), ctx) }),
    );
}

/** Back to the start snapshot; bytes only the dropped images used are deleted, the start's bytes are kept. */
async function restoreData(ctx: EmulatorContext, initial: Snapshot): Promise<void> {
  const kept = new Set(blobKeysOf(initial));
  const dropped = blobKeysOf(ctx.state.snapshot()).filter((key) => !kept.has(key));
  await ctx.state.replace(initial);
  for (const key of dropped) await ctx.state.blobs.delete(key);
}

function blobKeysOf(snapshot: Snapshot): string[] {
  return snapshot.images.flatMap((image) => (image.file ? [image.file.blobKey] : []));
}
