import type { Plugin } from "graphql-yoga";

/** Answers differ by origin, so shared caches must key them by it, allowed or not. */
export function useVaryOrigin(): Plugin {
  return {
    onResponse({ response }) {
      const vary = response.headers.get("vary");
      if (
        !vary
          ?.toLowerCase()
          .split(/\s*,\s*/)
          .includes("origin")
      ) {
        response.headers.set("vary", vary ? `${vary}, Origin` : "Origin");
      }
    },
  };
}
