import type { CORSOptions } from "graphql-yoga";
import type { CorsConfig } from "./config/index.ts";

/**
 * yoga's `cors` option as a policy: an allowed origin is echoed (with `Vary: Origin`), anything
 * else gets no CORS headers at all, so the browser keeps the answer from the page. The opaque
 * origin `null` (sandboxed frames, `file:`) is never allowed, and credentials only when configured:
 * yoga's own default echoes every origin with credentials.
 */
export function corsPolicy(config: CorsConfig): (request: Request) => CORSOptions {
  return (request) => {
    const origin = request.headers.get("origin");
    if (origin === null || origin === "null") return false;
    if (config.origins !== "*" && !config.origins.includes(origin.toLowerCase())) return false;
    return { origin: [origin], credentials: config.credentials, methods: ["GET", "POST"], maxAge: 600 };
  };
}
