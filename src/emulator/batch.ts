import { randomBytes } from "node:crypto";
import type { EmulatorContext } from "./context.ts";
import { apiErrors } from "./errors.ts";
import { envelope, Router } from "./http.ts";

/** Where the batch host (upstream: batch.imagedelivery.net) lives on the emulator's origin. */
export const BATCH_PREFIX = "/batch";

/** The real lifetime is not documented; half an hour makes refreshing visible without being a nuisance. */
export const DEFAULT_BATCH_TOKEN_TTL_SECONDS = 30 * 60;

const ACCOUNT_PREFIX = "/accounts/{account_id}";

/** The endpoints the docs list for the batch host, by their global API templates. */
const BATCH_SERVED: readonly [method: string, template: string][] = [
  ["POST", `${ACCOUNT_PREFIX}/images/v1`],
  ["GET", `${ACCOUNT_PREFIX}/images/v1/{image_id}`],
  ["PATCH", `${ACCOUNT_PREFIX}/images/v1/{image_id}`],
  ["DELETE", `${ACCOUNT_PREFIX}/images/v1/{image_id}`],
  ["GET", `${ACCOUNT_PREFIX}/images/v2`],
  ["POST", `${ACCOUNT_PREFIX}/images/v2/direct_upload`],
];

/**
 * Batch tokens the account has been given, with their expiry. In memory only: a restarted emulator
 * has forgotten them, and a client asks for a new one as it would after expiry.
 */
export class BatchTokens {
  readonly #expiresAt = new Map<string, number>();
  readonly #ttlMs: number;

  constructor(ttlSeconds: number) {
    if (!(ttlSeconds > 0)) throw new Error("emulator: batchTokenTtlSeconds must be above 0");
    this.#ttlMs = ttlSeconds * 1000;
  }

  issue(now: number): { token: string; expiresAt: string } {
    for (const [token, expiresAt] of this.#expiresAt) if (expiresAt <= now) this.#expiresAt.delete(token);
    const token = randomBytes(32).toString("base64url");
    const expiresAt = now + this.#ttlMs;
    this.#expiresAt.set(token, expiresAt);
    return { token, expiresAt: new Date(expiresAt).toISOString() };
  }

  isValid(token: string, now: number): boolean {
    const expiresAt = this.#expiresAt.get(token);
    return expiresAt !== undefined && now < expiresAt;
  }
}

/** `GET /v1/batch_token` on the global API, counted in its rate limit like any other call there. */
export function registerBatchTokenRoute(api: Router<EmulatorContext>): void {
  api.add("GET", `${ACCOUNT_PREFIX}/images/v1/batch_token`, (_request, _params, ctx) =>
    envelope(ctx.batchTokens.issue(ctx.now())),
  );
}

/** The batch host's routes: the global API's own handlers under the paths without `/accounts/{id}`. */
export function batchRouter(api: Router<EmulatorContext>): Router<EmulatorContext> {
  const batch = new Router<EmulatorContext>();
  for (const [method, template] of BATCH_SERVED) {
    const handler = api.handlerOf(method, template);
    if (!handler) throw new Error(`emulator: no API handler for the batch route ${method} ${template}`);
    batch.add(method, template.slice(ACCOUNT_PREFIX.length), handler);
  }
  return batch;
}

/**
 * A request to the batch host: counted per route (as `/batch/images/...`), outside the global rate
 * limit, authenticated by a batch token and limited per token instead.
 */
export async function handleBatch(
  request: Request,
  path: string,
  batch: Router<EmulatorContext>,
  ctx: EmulatorContext,
): Promise<Response> {
  const match = batch.match(request.method, path);
  const route =
    match && match !== "method" ? `${BATCH_PREFIX}${match.route.slice(request.method.length + 1)}` : "(no route)";
  const refused = await ctx.control.admit(request.method, route, false);
  if (refused) return refused;
  const token = batchTokenOf(request);
  if (!ctx.batchTokens.isValid(token, ctx.now())) throw apiErrors.authentication();
  const limited = ctx.control.admitBatchToken(token);
  if (limited) return limited;
  if (!match) throw apiErrors.noRoute();
  if (match === "method") throw apiErrors.methodNotAllowed();
  return match.handler(request, match.params, ctx);
}

function batchTokenOf(request: Request): string {
  const authorization = request.headers.get("authorization");
  if (authorization === null) throw apiErrors.missingAuth();
  const match = /^Bearer ([^\s]+)$/.exec(authorization);
  if (!match?.[1]) throw apiErrors.malformedAuth();
  return match[1];
}
