import type { Plugin } from "graphql-yoga";
import { policyError, refusalResponse } from "../errors.ts";
import type { AdmissionGate, Release } from "../memory/admission.ts";
import type { Pressure } from "../memory/pressure.ts";
import { METRICS_PATH } from "./observability/use-metrics.ts";
import { READINESS_PATH } from "./use-readiness.ts";

export interface LoadSheddingOptions {
  /** Whether the process is under pressure now (memory/pressure.ts). */
  pressure(): Pressure | undefined;
  retryAfterSeconds: number;
  /** GraphQL endpoints answer a GraphQL error body; other routes the plain-HTTP one. */
  isGraphQLPath(pathname: string): boolean;
  /** Bounds GraphQL requests running at once (uploads aside, which their own limits bound); absent: no bound. */
  gate?: AdmissionGate | undefined;
}

/**
 * Under memory or event-loop pressure, a new request is answered at once with 503 and
 * `Retry-After`, before its body is read; requests already running finish. `/health` stays up
 * (the process lives), `/readiness` says why traffic should go elsewhere, `/metrics` is still served.
 * Comes right after useOpsAccess, so the ops endpoints keep their access rules.
 */
export function useLoadShedding(options: LoadSheddingOptions): Plugin {
  const retryAfter = String(options.retryAfterSeconds);
  const headers = { "retry-after": retryAfter };
  // Keyed by the server context, which stays the same object from request to response.
  const admitted = new WeakMap<object, Release>();
  const shed = (pathname: string, pressure: Pressure): Response => {
    const message = `The server is overloaded (${pressure.message}); retry after ${retryAfter} s.`;
    const extensions = { reason: "OVERLOADED", pressure: pressure.kind, retryAfter: options.retryAfterSeconds };
    if (!options.isGraphQLPath(pathname)) {
      const response = refusalResponse({ kind: "overloaded", message, extensions });
      response.headers.set("retry-after", retryAfter);
      return response;
    }
    const error = policyError("overloaded", message, { extensions });
    const { http: _http, ...visible } = error.extensions as Record<string, unknown>;
    return new Response(JSON.stringify({ errors: [{ message: error.message, extensions: visible }] }), {
      status: 503,
      headers: { ...headers, "content-type": "application/json; charset=utf-8" },
    });
  };
  return {
    onRequest({ request, url, serverContext, endResponse }) {
      const pressure = options.pressure();
      if (url.pathname === METRICS_PATH || url.pathname === "/health") return;
      if (pressure && url.pathname === READINESS_PATH) {
        return endResponse(
          Response.json({ status: "unready", reason: `overloaded: ${pressure.message}` }, { status: 503, headers }),
        );
      }
      if (pressure) return endResponse(shed(url.pathname, pressure));
      const { gate } = options;
      if (!gate || !options.isGraphQLPath(url.pathname) || isMultipart(request)) return;
      const hold = (release: Release) => {
        admitted.set(serverContext, release);
        request.signal.addEventListener("abort", release, { once: true });
      };
      const place = gate.enter(request.signal);
      const full = { kind: "QUEUE", message: `${gate.inFlight} requests are running and as many wait` } as const;
      if (place === undefined) return endResponse(shed(url.pathname, full));
      if (typeof place === "function") return hold(place);
      return place.then(hold, () => endResponse(shed(url.pathname, full)));
    },
    onResponse({ serverContext }) {
      admitted.get(serverContext)?.();
      admitted.delete(serverContext);
    },
  };
}

function isMultipart(request: Request): boolean {
  return request.headers.get("content-type")?.toLowerCase().startsWith("multipart/") ?? false;
}
