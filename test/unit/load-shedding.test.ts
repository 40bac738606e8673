import { createSchema, createYoga } from "graphql-yoga";
import { describe, expect, it } from "vitest";
import { AdmissionGate } from "../../src/memory/admission.ts";
import type { Pressure } from "../../src/memory/pressure.ts";
import { useLoadShedding } from "../../src/plugins/use-load-shedding.ts";

describe("useLoadShedding", () => {
  it("lets the requests in flight finish while it sheds new ones, and serves again when the pressure ends", async () => {
    let pressure: Pressure | undefined;
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: "type Query { slow: String! fast: String! }",
        resolvers: { Query: { slow: () => released.then(() => "done"), fast: () => "fast" } },
      }),
      plugins: [
        useLoadShedding({
          pressure: () => pressure,
          retryAfterSeconds: 2,
          isGraphQLPath: (pathname) => pathname === "/graphql",
        }),
      ],
    });
    const ask = (query: string, path = "/graphql") =>
      yoga.fetch(`http://localhost${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query }),
      });

    const inFlight = ask("{ slow }");
    await new Promise((resolve) => setTimeout(resolve, 20));
    pressure = { kind: "EVENT_LOOP_DELAY", message: "the event loop is 1500 ms late" };
    const shed = await ask("{ fast }");
    expect(shed.status).toBe(503);
    expect(shed.headers.get("retry-after")).toBe("2");
    expect((await shed.json()).errors[0].extensions).toEqual({
      code: "UPSTREAM_UNAVAILABLE",
      reason: "OVERLOADED",
      pressure: "EVENT_LOOP_DELAY",
      retryAfter: 2,
    });
    // A route outside GraphQL gets the plain-HTTP refusal.
    const blob = await yoga.fetch("http://localhost/blob/x");
    expect(blob.status).toBe(503);
    expect((await blob.json()).error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", reason: "OVERLOADED" });

    release();
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(await finished.json()).toEqual({ data: { slow: "done" } });

    pressure = undefined;
    expect(await (await ask("{ fast }")).json()).toEqual({ data: { fast: "fast" } });
  });
});

describe("the admission gate", () => {
  it("runs at most N GraphQL requests at once, queues the next in order, and sheds past the queue", async () => {
    const releases: (() => void)[] = [];
    const started: string[] = [];
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: "type Query { wait(name: String!): String! }",
        resolvers: {
          Query: {
            wait: (_: unknown, { name }: { name: string }) => {
              started.push(name);
              return new Promise<string>((resolve) => releases.push(() => resolve(name)));
            },
          },
        },
      }),
      plugins: [
        useLoadShedding({
          pressure: () => undefined,
          retryAfterSeconds: 1,
          isGraphQLPath: (pathname) => pathname === "/graphql",
          gate: new AdmissionGate(1, 1),
        }),
      ],
    });
    const ask = (name: string) =>
      yoga.fetch("http://localhost/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `{ wait(name: "${name}") }` }),
      });
    const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

    const first = ask("first");
    await tick();
    const second = ask("second");
    await tick();
    const third = await ask("third");
    expect(third.status).toBe(503);
    expect(third.headers.get("retry-after")).toBe("1");
    expect((await third.json()).errors[0].extensions).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      pressure: "QUEUE",
    });
    // The second waits for the first's place.
    expect(started).toEqual(["first"]);
    releases.shift()?.();
    expect(await (await first).json()).toEqual({ data: { wait: "first" } });
    await tick();
    expect(started).toEqual(["first", "second"]);
    releases.shift()?.();
    expect(await (await second).json()).toEqual({ data: { wait: "second" } });
  });

  it("lets a waiting caller that leaves give up its turn", async () => {
    const gate = new AdmissionGate(1, 5);
    const holder = gate.enter() as () => void;
    const leaving = new AbortController();
    const left = gate.enter(leaving.signal) as Promise<() => void>;
    const next = gate.enter() as Promise<() => void>;
    leaving.abort();
    await expect(left).rejects.toBeDefined();
    holder();
    const release = await next;
    expect(gate.inFlight).toBe(1);
    release();
    release();
    expect(gate.inFlight).toBe(0);
  });
});
