import type { Plugin } from "graphql-yoga";
import { policyError, refusalResponse } from "../errors.ts";
import type { Pressure } from "../memory/pressure.ts";
import { METRICS_PATH } from "./observability/use-metrics.ts";
import { READINESS_PATH } from "./use-readiness.ts";

export interface LoadSheddingOptions {
  /** Whether the process is under pressure now (memory/pressure.ts). */
  pressure(): Pressure | undefined;
  retryAfterSeconds: number;
  /** GraphQL endpoints answer a GraphQL error body; other routes the plain-HTTP one. */
  isGraphQLPath(pathname: string): boolean;
}

/**
 * Under memory or event-loop pressure, a new request is answered at once with 503 and
 * `Retry-After`, before its body is read; requests already running finish. `/health` stays up
 * (the process lives), `/readiness` says why traffic should go elsewhere, `/metrics` is still served.
 * Comes right after useOpsAccess, so the ops endpoints keep their access rules.
 */
export function useLoadShedding(options: LoadSheddingOptions): Plugin {
  const retryAfter = String(options.retryAfterSeconds);
  return {
    onRequest({ url, endResponse }) {
      const pressure = options.pressure();
      if (!pressure || url.pathname === METRICS_PATH || url.pathname === "/health") return;
      const headers = { "retry-after": retryAfter };
      if (url.pathname === READINESS_PATH) {
        return endResponse(
          Response.json({ status: "unready", reason: `overloaded: ${pressure.message}` }, { status: 503, headers }),
        );
      }
      const message = `The server is overloaded (${pressure.message}); retry after ${retryAfter} s.`;
      const extensions = { reason: "OVERLOADED", pressure: pressure.kind, retryAfter: options.retryAfterSeconds };
      if (!options.isGraphQLPath(url.pathname)) {
        const response = refusalResponse({ kind: "overloaded", message, extensions });
        response.headers.set("retry-after", retryAfter);
        return endResponse(response);
      }
      const error = policyError("overloaded", message, { extensions });
      const { http: _http, ...visible } = error.extensions as Record<string, unknown>;
      const body = { errors: [{ message: error.message, extensions: visible }] };
      endResponse(
        new Response(JSON.stringify(body), {
          status: 503,
          headers: { ...headers, "content-type": "application/json; charset=utf-8" },
        }),
      );
    },
  };
}
