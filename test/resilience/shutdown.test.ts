import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { killServerProcesses, postGraphQL, startServerProcess } from "../support/server-process.ts";

const IMAGE_ROUTE = "/accounts/{account_id}/images/v1/{image_id}";
const BUSY = 50;

let emulator: TestEmulator;
let ids: string[];

beforeAll(async () => {
  emulator = await startTestEmulator();
  ids = ((await (await emulator.admin("POST", "/images", { count: BUSY })).json()) as { ids: string[] }).ids;
});
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());
afterEach(() => killServerProcesses());

const lookup = (id: string) => `{ image(imageId: "${id}") { imageId } }`;

/** Resolves once the emulator has seen `count` image lookups: the requests are then in flight. */
async function inFlight(count: number): Promise<void> {
  while (((await emulator.counts())[`GET ${IMAGE_ROUTE}`] ?? 0) < count) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A request on a connection of its own (never one kept alive earlier): the status, or the error code. */
function freshConnectionRequest(origin: string): Promise<number | string> {
  return new Promise((resolve) => {
    const request = httpRequest(
      `${origin}/graphql`,
      { method: "POST", agent: false, headers: { "content-type": "application/json" } },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    request.end(JSON.stringify({ query: "{ __typename }" }));
  });
}

describe("SIGTERM under load", () => {
  it(`lets ${BUSY} busy requests finish, refuses new ones, and exits 0`, async () => {
    const server = await startServerProcess(emulator, { UPSTREAM_CONNECTIONS: "64", SHUTDOWN_TIMEOUT_MS: "10000" });
    await emulator.admin("POST", "/latency", { ms: 1500, route: IMAGE_ROUTE });
    const busy = ids.map((id) => postGraphQL<{ image: { imageId: string } }>(server.origin, lookup(id)));
    await inFlight(BUSY);
    const signalled = performance.now();
    server.process.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await freshConnectionRequest(server.origin)).toBe("ECONNREFUSED");

    const answers = await Promise.all(busy);
    const answered = performance.now();
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    expect(answers.map((a) => a.body.data?.image.imageId)).toEqual(ids);
    expect(await server.exited).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(10_000);
    // Promptly after the last answer: not after the clients' kept-alive connections time out (5 s).
    expect(performance.now() - answered).toBeLessThan(2500);
    expect(server.output()).not.toContain("are cut");
  });

  it("answers a request that arrives on a kept-alive connection after SIGTERM with 503, after finishing the one in flight", async () => {
    const server = await startServerProcess(emulator);
    await emulator.admin("POST", "/latency", { ms: 1500, route: IMAGE_ROUTE });
    const { hostname, port } = new URL(server.origin);
    const socket = connect(Number(port), hostname);
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString();
    });
    const closed = new Promise((resolve) => socket.once("close", resolve));
    const raw = (query: string) => {
      const body = JSON.stringify({ query });
      return `POST /graphql HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    };
    socket.write(raw(lookup(ids[0] as string)));
    await inFlight(1);
    server.process.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.write(raw(lookup(ids[1] as string)));
    await closed;
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 503]);
    expect(received).toContain(ids[0]);
    expect(received).toContain("shutting down");
    expect((await emulator.counts())[`GET ${IMAGE_ROUTE}`]).toBe(1);
    expect(await server.exited).toBe(0);
  });

  it("cuts what is still running after SHUTDOWN_TIMEOUT_MS, and still exits 0", async () => {
    const server = await startServerProcess(emulator, { SHUTDOWN_TIMEOUT_MS: "1000" });
    await emulator.admin("POST", "/latency", { ms: 60_000, route: IMAGE_ROUTE });
    const stuck = Array.from({ length: 5 }, (_, i) =>
      postGraphQL(server.origin, lookup(ids[i] as string)).then(
        () => "answered",
        () => "cut",
      ),
    );
    await inFlight(5);
    const signalled = performance.now();
    server.process.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const took = performance.now() - signalled;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(5000);
    expect(await Promise.all(stuck)).toEqual(["cut", "cut", "cut", "cut", "cut"]);
    expect(server.output()).toContain("SHUTDOWN_TIMEOUT_MS");
  });
});
