import { createSchema, createYoga } from "graphql-yoga";
import { describe, expect, it } from "vitest";
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
