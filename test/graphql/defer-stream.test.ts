import { readFile } from "node:fs/promises";
import { buildSchema, parse, validate } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { collectParts, type IncrementalPart, postIncremental, readParts } from "../support/incremental.ts";
import { useTestStack } from "../support/server.ts";

const LIST_V2 = "GET /accounts/{account_id}/images/v2";
const LIST_VARIANTS = "GET /accounts/{account_id}/images/v1/variants";
const IMAGES = 60;

let ids: string[];

const stack = useTestStack({ resetEmulatorBeforeEach: true });
beforeAll(async () => {
  const response = await stack.emulator.admin("POST", "/images", { count: IMAGES });
  ids = ((await response.json()) as { ids: string[] }).ids;
});

type Edge = { node: { imageId: string; url: string } };

const STREAMED = /* GraphQL */ `
  query {
    images(first: 1000) {
      edges @stream(initialCount: 20) { node { imageId url } }
      pageInfo { hasNextPage }
    }
  }
`;

/** The streamed edges in order, checking that each subsequent part continues where the last ended. */
function streamedEdges(parts: IncrementalPart[]): { initial: Edge[]; later: Edge[] } {
  const initial = (parts[0]?.data?.images as { edges: Edge[] } | undefined)?.edges ?? [];
  const later: Edge[] = [];
  for (const part of parts.slice(1)) {
    for (const increment of part.incremental ?? []) {
      expect(increment.path).toEqual(["images", "edges", initial.length + later.length]);
      later.push(...((increment.items ?? []) as Edge[]));
    }
  }
  return { initial, later };
}

function allErrors(parts: IncrementalPart[]) {
  return parts.flatMap((part) => [...(part.errors ?? []), ...(part.incremental ?? []).flatMap((i) => i.errors ?? [])]);
}

describe("@stream", () => {
  it("answers multipart/mixed: the first part holds initialCount edges, later parts the rest in order", async () => {
    const response = await postIncremental(stack, STREAMED, "multipart/mixed");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^multipart\/mixed/);
    const parts = await collectParts(response);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]?.hasNext).toBe(true);
    expect(parts.at(-1)?.hasNext).toBe(false);
    const { initial, later } = streamedEdges(parts);
    expect(initial).toHaveLength(20);
    expect(later).toHaveLength(IMAGES - 20);
    const streamedIds = [...initial, ...later].map((edge) => edge.node.imageId);
    expect(new Set(streamedIds)).toEqual(new Set(ids));
    expect(allErrors(parts)).toEqual([]);
    // The same page as without @stream, read with one upstream call.
    const plain = await stack.gql<{ images: { edges: Edge[] } }>(STREAMED.replace("@stream(initialCount: 20)", ""));
    expect(plain.data?.images.edges.map((edge) => edge.node.imageId)).toEqual(streamedIds);
    expect((await stack.emulator.counts())[LIST_V2]).toBe(2);
  });

  it("answers text/event-stream the same way", async () => {
    const response = await postIncremental(stack, STREAMED, "text/event-stream");
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const parts = await collectParts(response);
    const { initial, later } = streamedEdges(parts);
    expect(initial).toHaveLength(20);
    expect(later).toHaveLength(IMAGES - 20);
    expect(parts.at(-1)?.hasNext).toBe(false);
  });
});

describe("@defer", () => {
  it("sends a deferred fragment in a later part, with its label and path", async () => {
    await stack.emulator.admin("POST", "/latency", {
      ms: 300,
      method: "GET",
      route: "/accounts/{account_id}/images/v1/variants",
    });
    const response = await postIncremental(
      stack,
      `query ($id: ID!) {
        image(imageId: $id) {
          imageId
          ... @defer(label: "definitions") { variants { name variant { name options { width } } } }
        }
      }`,
      "multipart/mixed",
      { variables: { id: ids[0] } },
    );
    const parts = await collectParts(response);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]?.data).toEqual({ image: { imageId: ids[0] } });
    expect(parts[0]?.hasNext).toBe(true);
    const deferred = parts.slice(1).flatMap((part) => part.incremental ?? []);
    expect(deferred).toHaveLength(1);
    expect(deferred[0]?.label).toBe("definitions");
    expect(deferred[0]?.path).toEqual(["image"]);
    const data = deferred[0]?.data as { variants: { name: string; variant: { name: string } }[] } | undefined;
    expect(data?.variants.map((v) => v.variant.name)).toContain("public");
    expect(allErrors(parts)).toEqual([]);
    expect((await stack.emulator.counts())[LIST_VARIANTS]).toBe(1);
  });

  it("lets a client go away mid-answer and keeps serving", async () => {
    await stack.emulator.admin("POST", "/latency", {
      ms: 500,
      method: "GET",
      route: "/accounts/{account_id}/images/v1/variants",
    });
    const controller = new AbortController();
    const response = await postIncremental(
      stack,
      `{ images(first: 5) { edges { node { imageId ... @defer { variants { variant { name } } } } } } }`,
      "multipart/mixed",
      { signal: controller.signal },
    );
    const parts = readParts(response);
    const first = await parts.next();
    expect((first.value as IncrementalPart).hasNext).toBe(true);
    controller.abort();
    await expect(parts.next()).rejects.toThrow();
    const after = await stack.gql<{ images: { edges: unknown[] } }>(`{ images(first: 3) { edges { cursor } } }`);
    expect(after.data?.images.edges).toHaveLength(3);
  });
});

describe("clients that accept only JSON", () => {
  it("get a clear BAD_USER_INPUT before execution, whichever answer the same document got before", async () => {
    const multipart = async () => collectParts(await postIncremental(stack, STREAMED, "multipart/mixed"));
    for (const round of [1, 2]) {
      const refused = await stack.gql(STREAMED);
      expect(refused.status, `round ${round}`).toBe(400);
      expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(refused.errors?.[0]?.message).toContain("Accept: multipart/mixed");
      expect(await stack.emulator.counts()).toEqual({});
      expect(streamedEdges(await multipart()).initial).toHaveLength(20);
      await stack.emulator.reset();
    }
  });

  it("may still send a document whose @defer is turned off", async () => {
    const answer = await stack.gql<{ image: { imageId: string; filename: string | null } }>(
      `query ($id: ID!) { image(imageId: $id) { imageId ... @defer(if: false) { filename } } }`,
      { id: ids[0] },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.image.imageId).toBe(ids[0]);
    expect(answer.data?.image).toHaveProperty("filename");
  });
});

describe("limits apply to the whole document", () => {
  const COSTLY_NODE = "imageId variants { name url variant { name options { width height } } }";

  it("refuses an over-cost streamed document before any upstream call", async () => {
    const response = await postIncremental(
      stack,
      `{ images(first: 1000) { edges @stream(initialCount: 1) { node { ${COSTLY_NODE} } } } }`,
      "multipart/mixed",
    );
    const parts = await collectParts(response);
    const errors = allErrors(parts);
    expect(errors[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(errors[0]?.extensions?.limit).toBe("cost");
    expect(errors[0]?.extensions?.cost as number).toBeGreaterThan(stack.config.limits.maxCost);
    expect(parts.flatMap((part) => part.incremental ?? [])).toEqual([]);
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("counts a deferred fragment in the cost before any field runs, even beside a cheap field", async () => {
    const response = await postIncremental(
      stack,
      `{ stats { current } ... @defer { images(first: 1000) { edges { node { ${COSTLY_NODE} } } } } }`,
      "multipart/mixed",
    );
    const parts = await collectParts(response);
    expect(allErrors(parts).map((e) => e.extensions?.limit)).toContain("cost");
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("applies the alias limit inside deferred fragments", async () => {
    const aliases = Array.from({ length: stack.config.limits.maxAliases + 1 }, (_, i) => `a${i}: imageId`).join(" ");
    const response = await postIncremental(
      stack,
      `query ($id: ID!) { image(imageId: $id) { imageId ... @defer { ${aliases} } } }`,
      "multipart/mixed",
      { variables: { id: ids[0] } },
    );
    const parts = await collectParts(response);
    expect(allErrors(parts)[0]?.extensions?.limit).toBe("maxAliases");
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("refuses @stream on a field that is not a list, as the document's mistake", async () => {
    const response = await postIncremental(
      stack,
      `{ images(first: 2) { pageInfo @stream { hasNextPage } } }`,
      "multipart/mixed",
    );
    const parts = await collectParts(response);
    expect(allErrors(parts)[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await stack.emulator.counts()).toEqual({});
  });
});

describe("schema files", () => {
  it("declares @defer and @stream in schema.graphql, which validates documents that use them", async () => {
    const sdl = await readFile(new URL("../../schema/schema.graphql", import.meta.url), "utf8");
    const printed = buildSchema(sdl);
    expect(printed.getDirective("defer")?.locations).toEqual(["FRAGMENT_SPREAD", "INLINE_FRAGMENT"]);
    expect(
      printed
        .getDirective("stream")
        ?.args.map((a) => a.name)
        .sort(),
    ).toEqual(["if", "initialCount", "label"]);
    expect(validate(printed, parse(STREAMED))).toEqual([]);
  });

  it("serves the committed subgraph SDL unchanged, without the directives the router defines itself", async () => {
    const served = await stack.gql<{ _service: { sdl: string } }>("{ _service { sdl } }", {}, {}, "/subgraph");
    const committed = await readFile(new URL("../../schema/subgraph.graphql", import.meta.url), "utf8");
    expect(`${served.data?._service.sdl}\n`).toBe(committed);
    expect(committed).not.toMatch(/directive @(defer|stream)\b/);
  });
});
