import { readFile } from "node:fs/promises";
import type { Plugin } from "graphql-yoga";

const GALLERY_DIR = new URL("../../examples/gallery/", import.meta.url);

/** The gallery's files, by the path they are served at: nothing else under /gallery is. */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/gallery": { file: "index.html", type: "text/html; charset=utf-8" },
  "/gallery/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/gallery/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/gallery/graphql.js": { file: "graphql.js", type: "text/javascript; charset=utf-8" },
  "/gallery/bulk-delete.js": { file: "bulk-delete.js", type: "text/javascript; charset=utf-8" },
  "/gallery/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

/**
 * Its own scripts and styles only; images and uploads go to Cloudflare's hosts (or the emulator),
 * which the page learns from the API, so those two are open to any http(s) origin.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self' http: https:",
  "img-src 'self' http: https: data: blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * `GET /gallery`: the example frontend under examples/gallery, a page on the public API. Served
 * with GraphiQL (development by default), from this process: no CDN, no build step.
 */
export function useGalleryRoute(): Plugin {
  const cache = new Map<string, Uint8Array>();
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname !== "/gallery" && !url.pathname.startsWith("/gallery/")) return;
      const entry = FILES[url.pathname];
      if (!entry) return endResponse(new Response("Not found", { status: 404 }));
      if (request.method !== "GET" && request.method !== "HEAD") {
        return endResponse(new Response("Use GET.", { status: 405, headers: { allow: "GET, HEAD" } }));
      }
      let body = cache.get(entry.file);
      if (!body) {
        try {
          body = new Uint8Array(await readFile(new URL(entry.file, GALLERY_DIR)));
        } catch {
          // An image built without the examples folder: the gallery is simply not there.
          return endResponse(new Response("The gallery is not installed.", { status: 404 }));
        }
        cache.set(entry.file, body);
      }
      const headers = {
        "content-type": entry.type,
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": "no-cache",
      };
      endResponse(new Response(request.method === "HEAD" ? null : (body as Uint8Array<ArrayBuffer>), { headers }));
    },
  };
}
