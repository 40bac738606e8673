import { readFile } from "node:fs/promises";
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery, printSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { graphqlUrl, postGraphQL, subgraphUrl } from "../support/federation.ts";
import { useTestStack } from "../support/server.ts";

const FEDERATION_NAMES = ["_entities", "_service", "_Any", "_Entity", "_Service"];

const stack = useTestStack({ resetEmulatorBeforeEach: true, emulator: { seed: true } });

async function introspect(url: URL): Promise<string> {
  const answer = await postGraphQL<IntrospectionQuery>(
    url,
    getIntrospectionQuery({ descriptions: true, specifiedByUrl: true }),
  );
  expect(answer.errors).toBeUndefined();
  return `${printSchema(buildClientSchema(answer.data as IntrospectionQuery))}\n`;
}

describe("the client API and the subgraph, apart", () => {
  it("shows an ordinary client exactly schema/schema.graphql, with nothing of federation", async () => {
    const live = await introspect(graphqlUrl(stack.server));
    expect(live).toBe(await readFile(new URL("../../schema/schema.graphql", import.meta.url), "utf8"));
    for (const name of FEDERATION_NAMES) expect(live).not.toMatch(new RegExp(`\\b${name}\\b`));
  });

  it("refuses `_entities` and `_service` on the client endpoint, before any upstream call", async () => {
    const images = await stack.gql<{ images: { edges: { node: { imageId: string } }[] } }>(
      "{ images(first: 1) { edges { node { imageId } } } }",
    );
    const imageId = images.data?.images.edges[0]?.node.imageId;
    await stack.emulator.reset();
    const entities = await stack.gql(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Image { imageId } } }`,
      { r: [{ __typename: "Image", imageId }] },
    );
    expect(entities.data).toBeUndefined();
    expect(entities.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const service = await stack.gql("{ _service { sdl } }");
    expect(service.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("gives a gateway the subgraph at /subgraph: the client API plus `_service` and `_entities`", async () => {
    const live = await introspect(subgraphUrl(stack.server));
    for (const name of ["_entities", "_service", "_Any", "_Entity"]) expect(live).toMatch(new RegExp(`\\b${name}\\b`));
    expect(live).toMatch(/images\(/);
    const answer = await postGraphQL<{ _service: { sdl: string } }>(subgraphUrl(stack.server), "{ _service { sdl } }");
    expect(`${answer.data?._service.sdl}\n`).toBe(
      await readFile(new URL("../../schema/subgraph.graphql", import.meta.url), "utf8"),
    );
  });

  it("serves GraphiQL on the client endpoint only", async () => {
    const html = { accept: "text/html" };
    const client = await fetch(graphqlUrl(stack.server), { headers: html });
    expect(client.headers.get("content-type")).toMatch(/text\/html/);
    const subgraph = await fetch(subgraphUrl(stack.server), { headers: html });
    expect(subgraph.headers.get("content-type") ?? "").not.toMatch(/text\/html/);
  });
});
