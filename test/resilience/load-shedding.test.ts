import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { killServerProcesses, postGraphQL, startServerProcess } from "../support/server-process.ts";
import { subscribe } from "../support/sse.ts";

let emulator: TestEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator({ seed: true });
});
afterAll(() => emulator.close());
afterEach(() => killServerProcesses());

const STATS_CALL = "GET /accounts/{account_id}/images/v1/stats";

/** The ops listener's origin, from the start line that names it. */
function opsOrigin(output: string): string {
  const match = /Ops endpoints \(.*?\) on (http:\/\/\S+?)\/? /.exec(output);
  if (!match?.[1]) throw new Error(`no ops listener in: ${output}`);
  return match[1];
}

describe("load shedding in the server process", () => {
  it("answers new requests 503 with Retry-After and a typed body under heap pressure; health stays up, readiness says why", async () => {
    // A tiny high-water mark: the heap is always past it. The limit sizes V8's heap (half of it, for the old generation).
    const server = await startServerProcess(emulator, { SHED_HEAP_RATIO: "0.01", MEMORY_LIMIT_MB: "160" });
    await emulator.reset();

    const shed = await postGraphQL(server.origin, "{ stats { current } }");
    expect(shed.status).toBe(503);
    expect(shed.body.data).toBeUndefined();
    expect(shed.body.errors).toEqual([
      {
        message: expect.stringMatching(/^The server is overloaded \(the heap is \d+ MB of its \d+ MB limit\)/),
        extensions: { code: "UPSTREAM_UNAVAILABLE", reason: "OVERLOADED", pressure: "HEAP", retryAfter: 1 },
      },
    ]);
    // 64 MB of old generation (two fifths of 160) and 12 MB of young: the relaunch gave V8 the heap the limit asks for.
    expect(shed.body.errors?.[0]?.message).toContain("of its 76 MB limit");
    const response = await fetch(`${server.origin}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ stats { current } }" }),
    });
    expect(response.headers.get("retry-after")).toBe("1");
    expect((await emulator.counts())[STATS_CALL]).toBeUndefined();

    expect((await fetch(`${server.origin}/health`)).status).toBe(200);
    const readiness = await fetch(`${opsOrigin(server.output())}/readiness`);
    expect(readiness.status).toBe(503);
    expect(readiness.headers.get("retry-after")).toBe("1");
    expect(await readiness.json()).toEqual({
      status: "unready",
      reason: expect.stringMatching(/^overloaded: the heap is \d+ MB/),
    });
    expect(server.alive()).toBe(true);
  });

  it("refuses a large body before reading it", async () => {
    const server = await startServerProcess(emulator, { SHED_HEAP_RATIO: "0.01" });
    const { hostname, port } = new URL(server.origin);
    // 50 MB announced, a few bytes sent: the answer comes without the rest of the body.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: hostname,
          port,
          method: "POST",
          path: "/graphql",
          headers: { "content-type": "application/json", "content-length": String(50 * 1024 * 1024) },
        },
        (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.write('{"query":"{ stats { current } }", "padding": "');
    });
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body).errors[0].extensions.code).toBe("UPSTREAM_UNAVAILABLE");
  });

  it("serves as usual below the marks", async () => {
    const server = await startServerProcess(emulator, { MEMORY_LIMIT_MB: "256" });
    const answer = await postGraphQL<{ stats: { current: number } }>(server.origin, "{ stats { current } }");
    expect(answer.status).toBe(200);
    expect(answer.body.data?.stats.current).toBeGreaterThan(0);
    const readiness = await fetch(`${opsOrigin(server.output())}/readiness`);
    expect(readiness.status).toBe(200);
  });
});

const keys = ["alice", "bob"].map((name) => ({ name, secret: `${name}-secret-0123456789abcdef` }));
const API_KEYS = keys
  .map(({ name, secret }) => `${name}:${createHash("sha256").update(secret).digest("hex")}:images:read`)
  .join(",");

describe("open subscriptions are capped", () => {
  it("refuses one more than a caller may hold, then one more than the process holds, and frees a place when one ends", async () => {
    const server = await startServerProcess(emulator, {
      AUTH_MODE: "api-key",
      ALLOW_UNAUTHENTICATED: "",
      API_KEYS,
      MAX_SUBSCRIPTIONS: "3",
      MAX_SUBSCRIPTIONS_PER_CALLER: "2",
    });
    const url = new URL(server.origin);
    // imageChanged waits for changes to any well-formed id: nothing is asked of the upstream.
    const imageId = "watched-image";
    const open = (caller: (typeof keys)[number]) =>
      subscribe(
        url,
        "subscription($id: ID!) { imageChanged(imageId: $id) { imageId } }",
        { id: imageId },
        {
          authorization: `Bearer ${caller.secret}`,
        },
      );
    const [alice, bob] = keys as [(typeof keys)[number], (typeof keys)[number]];

    const alices = [await open(alice), await open(alice)];
    for (const stream of alices) expect(await stream.quietFor(200)).toBe(true);
    const third = await open(alice);
    const refusedForCaller = await third.next();
    expect(refusedForCaller).not.toBe("end");
    expect(refusedForCaller !== "end" && refusedForCaller.errors).toEqual([
      expect.objectContaining({
        extensions: { code: "RATE_LIMITED", limit: "MAX_SUBSCRIPTIONS_PER_CALLER", retryAfter: 1 },
      }),
    ]);

    const bobs = await open(bob);
    expect(await bobs.quietFor(200)).toBe(true);
    const refusedForServer = await (await open(bob)).next();
    expect(refusedForServer !== "end" && refusedForServer.errors).toEqual([
      expect.objectContaining({
        extensions: { code: "UPSTREAM_UNAVAILABLE", reason: "OVERLOADED", limit: "MAX_SUBSCRIPTIONS", retryAfter: 1 },
      }),
    ]);

    // Alice leaves one: Bob gets its place.
    alices[0]?.abort();
    let replaced: Awaited<ReturnType<typeof open>> | undefined;
    for (let attempt = 0; attempt < 50 && !replaced; attempt++) {
      const candidate = await open(bob);
      if (await candidate.quietFor(100)) replaced = candidate;
    }
    expect(replaced).toBeDefined();
    expect(server.alive()).toBe(true);
  });
});
