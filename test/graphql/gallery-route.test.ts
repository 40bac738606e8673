import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { type TestStack, useTestStack } from "../support/server.ts";

const withGraphiql = useTestStack({ env: { GRAPHIQL: "true" } });
const withoutGraphiql = useTestStack({ env: { GRAPHIQL: "false" } });

const get = (stack: TestStack, path: string, method = "GET") => fetch(new URL(path, stack.server.url), { method });

describe("/gallery", () => {
  it("serves the page and its modules from this process, under a strict CSP", async () => {
    const page = await get(withGraphiql, "/gallery");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(await page.text()).toContain('<script type="module" src="/gallery/app.js">');
    for (const [path, type] of [
      ["/gallery/app.js", "text/javascript"],
      ["/gallery/graphql.js", "text/javascript"],
      ["/gallery/style.css", "text/css"],
    ] as const) {
      const answer = await get(withGraphiql, path);
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get("content-type")).toContain(type);
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("loads nothing from elsewhere: no CDN, no external script or style", async () => {
    const dir = new URL("../../examples/gallery/", import.meta.url);
    for (const file of await readdir(dir)) {
      const text = await readFile(new URL(file, dir), "utf8");
      expect(text, file).not.toMatch(/(src|href)="(https?:)?\/\//);
      expect(text, file).not.toMatch(/import [^;]*from "(https?:)?\/\//);
      expect(text, file).not.toMatch(/@import/);
    }
  });

  it("answers 404 for other paths under /gallery, 405 for a POST", async () => {
    expect((await get(withGraphiql, "/gallery/../src/config/index.ts")).status).toBe(404);
    expect((await get(withGraphiql, "/gallery/secret.txt")).status).toBe(404);
    expect((await get(withGraphiql, "/gallery", "POST")).status).toBe(405);
    expect((await get(withGraphiql, "/gallery", "HEAD")).status).toBe(200);
  });

  it("is not served when GraphiQL is off", async () => {
    expect((await get(withoutGraphiql, "/gallery")).status).toBe(404);
    expect((await get(withoutGraphiql, "/gallery/app.js")).status).toBe(404);
  });
});
