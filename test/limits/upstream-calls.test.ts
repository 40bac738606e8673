import { describe, expect, it } from "vitest";
import { type InProcessStack, useInProcessStack } from "../support/in-process.ts";

const GET_IMAGE = "GET /accounts/{account_id}/images/v1/{image_id}";
const ENTITIES = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Image { imageId } } }`;
const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");
const images = (n: number) => Array.from({ length: n }, (_, i) => ({ __typename: "Image", imageId: `missing-${i}` }));

const stack = useInProcessStack({ resetEmulatorBeforeEach: true, emulator: { seed: true } });

/** Refused whole, with the limit named, before a single upstream call. */
async function expectRefused(answer: Awaited<ReturnType<InProcessStack["gql"]>>, limit?: string) {
  expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  expect(answer.errors?.[0]?.extensions?.limit).toEqual(limit ?? expect.any(String));
  expect(answer.data ?? null).toBeNull();
  expect(await stack.emulator.counts()).toEqual({});
}

describe("every list of lookups is costed per item (MAX_UPSTREAM_CALLS_PER_REQUEST, default 100)", () => {
  it("refuses 1,000 _entities representations before any upstream call", async () => {
    await expectRefused(await stack.gql(ENTITIES, { r: images(1000) }, {}, "/subgraph"));
  });

  it("refuses 101 distinct image references (under the cost limit) by the upstream-call limit", async () => {
    const answer = await stack.gql(ENTITIES, { r: images(101) }, {}, "/subgraph");
    await expectRefused(answer, "upstreamCalls");
    expect(answer.errors?.[0]?.extensions).toMatchObject({ upstreamCalls: 101, maxUpstreamCalls: 100 });
  });

  it("serves 100 references, the same id repeated 200 times counting once", async () => {
    const repeated = Array.from({ length: 200 }, () => ({ __typename: "Image", imageId: "missing-0" }));
    const answer = await stack.gql(ENTITIES, { r: [...images(99), ...repeated] }, {}, "/subgraph");
    expect(answer.errors?.every((e) => e.extensions?.code === "NOT_FOUND")).toBe(true);
    expect(await stack.emulator.counts()).toEqual({ [GET_IMAGE]: 99 });
  });

  it("refuses nodes with 900 ids before any upstream call", async () => {
    const ids = Array.from({ length: 900 }, (_, i) => globalId("Image", `missing-${i}`));
    await expectRefused(await stack.gql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids }), "upstreamCalls");
  });

  it("counts every alias, through fragments", async () => {
    const aliased = Array.from({ length: 26 }, (_, i) => `a${i}: image(imageId: "missing-${i}") { imageId }`);
    const fragment = `fragment F on Query { ${aliased.join(" ")} } query Q { ...F n: nodes(ids: [${Array.from(
      { length: 75 },
      (_, i) => `"${globalId("Image", `other-${i}`)}"`,
    ).join(", ")}]) { id } }`;
    await expectRefused(await stack.gql(fragment), "upstreamCalls");
  });
});
