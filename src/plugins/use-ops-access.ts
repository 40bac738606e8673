import { createHash, timingSafeEqual } from "node:crypto";
import type { Plugin } from "graphql-yoga";
import type { OpsConfig } from "../config/index.ts";
import { METRICS_PATH } from "./observability/use-metrics.ts";
import { READINESS_PATH } from "./use-readiness.ts";

/** The endpoints that tell operation names, error counts, budget left and the upstream's verdict. */
const OPS_PATHS = new Set([METRICS_PATH, READINESS_PATH]);

/** Set in the server context of requests that came in on the ops listener (server.ts). */
export interface OpsServerContext {
  opsListener?: true;
}

/**
 * Who reaches the ops endpoints: with an ops listener, only its requests (the public port answers
 * 404, and the ops port serves nothing else but `/health`); with `OPS_TOKEN`, only bearers of it.
 * Must come before the plugins that serve those endpoints.
 */
export function useOpsAccess(ops: OpsConfig): Plugin {
  const expected = ops.token === undefined ? undefined : digest(ops.token);
  return {
    onRequest({ request, url, serverContext, endResponse }) {
      const onOpsListener = (serverContext as OpsServerContext).opsListener === true;
      const isOps = OPS_PATHS.has(url.pathname);
      if (onOpsListener && !isOps) return endResponse(new Response(null, { status: 404 }));
      if (!isOps) return;
      if (ops.port !== undefined && !onOpsListener) return endResponse(new Response(null, { status: 404 }));
      if (expected && !timingSafeEqual(digest(bearerOf(request)), expected)) {
        endResponse(new Response(null, { status: 401, headers: { "www-authenticate": "Bearer" } }));
      }
    },
  };
}

function bearerOf(request: Request): string {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  return match?.[1] ?? "";
}

/** Equal lengths for timingSafeEqual, and nothing about the token's own length leaks. */
function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
