import type { ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { GRAPHIQL_DEFAULT_QUERY } from "../../src/graphiql.ts";
import { spawnServer } from "../support/spawn.ts";

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
});

/** Runs `src/main.ts` as `npm start` does, and waits for the GraphiQL line. */
async function start(env: Record<string, string>) {
  const process_ = spawnServer({ PORT: "0", HOST: "127.0.0.1", ...env });
  child = process_;
  let output = "";
  process_.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  process_.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => process_.once("exit", resolve));
  const url = await Promise.race([
    new Promise<string>((resolve) => {
      const timer = setInterval(() => {
        const match = /GraphiQL: (\S+)/.exec(output);
        if (match?.[1]) {
          clearInterval(timer);
          resolve(match[1]);
        }
      }, 20);
    }),
    exited.then((code) => Promise.reject(new Error(`exited with ${code}: ${output}`))),
  ]);
  return { url, exited, output: () => output, process: process_ };
}

describe("npm start", () => {
  it("starts the seeded embedded emulator, serves GraphiQL with a working default query, and drains on SIGTERM", async () => {
    const server = await start({});
    expect(server.output()).toMatch(/embedded Cloudflare Images emulator/);

    const page = await fetch(server.url, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("NewestImages");
    // Self-contained: GraphiQL must work offline, so no script or style comes from another host.
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
    expect(html).not.toContain("unpkg.com");

    const answer = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: GRAPHIQL_DEFAULT_QUERY }),
    });
    const body = (await answer.json()) as {
      data: { images: { edges: unknown[] }; stats: { current: number } };
      errors?: unknown;
    };
    expect(body.errors).toBeUndefined();
    expect(body.data.images.edges).toHaveLength(5);
    expect(body.data.stats.current).toBeGreaterThanOrEqual(30);

    const health = await fetch(new URL("/health", server.url));
    expect(health.status).toBe(200);

    server.process.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    // Every line the process wrote is a JSON log line (pino), the start lines included.
    const stdout = server.process.stdout;
    if (stdout && !stdout.readableEnded) await new Promise((resolve) => stdout.once("end", resolve));
    const messages = server
      .output()
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    // The catalogue's first sweep ends whenever it ends, among the other lines.
    expect(messages.filter((msg) => msg.startsWith("catalogue:"))).toEqual(["catalogue: sweep done"]);
    expect(messages.filter((msg) => !msg.startsWith("catalogue:"))).toEqual([
      expect.stringMatching(/^No CLOUDFLARE_API_TOKEN set: using the embedded Cloudflare Images emulator/),
      expect.stringMatching(/^GraphiQL: http:\/\/127\.0\.0\.1:\d+\/graphql /),
      expect.stringMatching(/graphql request/),
      "SIGTERM: finishing in-flight requests, then stopping.",
    ]);
  });

  it("refuses to start with a bad setting, naming it", async () => {
    const process_ = spawnServer({ PORT: "not-a-port" });
    child = process_;
    let stderr = "";
    process_.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => process_.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("PORT must be an integer");
  });
});
