import { beforeAll, describe, expect, it } from "vitest";
import { COMPILE_AFTER_RUNS } from "../../src/plugins/use-compiled-execution.ts";
import { type GraphQLAnswer, useTestStack } from "../support/server.ts";

// Client queries run compiled (graphql-jit) from their COMPILE_AFTER_RUNS-th run on; a document that asks for
// introspection runs on graphql-js. The same document with and without `__type` is so answered by
// each executor, on one server.
const STANDARD = '__type(name: "Image") { name }';

const stack = useTestStack({ resetEmulatorBeforeEach: true, env: { COMPILED_EXECUTION: "on" } });
let ids: string[];
beforeAll(async () => {
  const response = await stack.emulator.admin("POST", "/images", { count: 100, creator: "bulk" });
  ids = ((await response.json()) as { ids: string[] }).ids;
  await stack.emulator.api("POST", "/v1/variants", {
    json: { id: "thumb", options: { fit: "cover", metadata: "none", width: 100, height: 100 } },
  });
});

/** The answer of `selection` compiled and on graphql-js, without the introspection field. */
async function bothWays(selection: string, variables?: Record<string, unknown>) {
  const head = variables ? "query Q($first: Int)" : "query Q";
  for (let run = 1; run < COMPILE_AFTER_RUNS; run++) await stack.gql(`${head} { ${selection} }`, variables);
  const compiled = await stack.gql(`${head} { ${selection} }`, variables);
  const standard = await stack.gql(`${head} { ${selection} ${STANDARD} }`, variables);
  const { __type: _, ...standardData } = (standard.data ?? {}) as Record<string, unknown>;
  const shape = (answer: GraphQLAnswer, data: unknown) => ({
    status: answer.status,
    data,
    errors: answer.errors,
  });
  return {
    compiled: shape(compiled, compiled.data),
    standard: shape(standard, standard.data === null ? null : standardData),
  };
}

describe("compiled execution", () => {
  it("answers a page of 100 images with variants exactly as graphql-js does", async () => {
    const { compiled, standard } = await bothWays(
      "images(first: $first) { pageInfo { hasNextPage endCursor } edges { cursor node { id imageId filename meta uploaded url variants { name url variant { options { width height fit } } } } } }",
      { first: 100 },
    );
    expect(compiled.errors).toBeUndefined();
    expect((compiled.data as { images: { edges: unknown[] } }).images.edges).toHaveLength(100);
    expect(compiled).toEqual(standard);
  });

  it("gives field errors the same paths, codes and nulls", async () => {
    const { compiled, standard } = await bothWays(
      `known: image(imageId: "${ids[0]}") { imageId } missing: image(imageId: "no-such-image") { imageId } bad: image(imageId: "white space/slash") { imageId } node(id: "not-a-global-id") { id }`,
    );
    expect(compiled.status).toBe(200);
    expect(compiled.errors?.length).toBeGreaterThan(0);
    expect(compiled.errors?.map((e) => e.extensions?.code)).toContain("BAD_USER_INPUT");
    expect(compiled).toEqual(standard);
  });

  it("refuses variables that do not coerce with 400, as graphql-js does", async () => {
    for (let run = 1; run < COMPILE_AFTER_RUNS; run++) {
      await stack.gql("query Q($first: Int) { images(first: $first) { edges { cursor } } }", { first: 1 });
    }
    const compiled = await stack.gql("query Q($first: Int) { images(first: $first) { edges { cursor } } }", {
      first: "many",
    });
    expect(compiled.status).toBe(400);
    expect(compiled.data).toBeUndefined();
    expect(compiled.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(compiled.errors?.[0]?.message).toMatch(/\$first/);
  });
});
