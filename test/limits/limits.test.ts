import { beforeAll, describe, expect, it } from "vitest";
import { useTestStack } from "../support/server.ts";

let endpoint: URL;

const stack = useTestStack({
  resetEmulatorBeforeEach: true,
  emulator: { seed: true },
  env: {
    MAX_DEPTH: "5",
    MAX_ALIASES: "3",
    MAX_TOKENS: "300",
    MAX_COST: "1000",
    MAX_BODY_BYTES: "4000",
    MAX_UPLOAD_BYTES: "1000",
  },
});
beforeAll(async () => {
  endpoint = new URL("/graphql", stack.server.url);
});

/** The refusal every limit gives: one error naming the limit, and not a single upstream call. */
async function expectRefused(
  answer: { status?: number; errors?: { extensions?: Record<string, unknown> }[] },
  limit: string,
) {
  expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  expect(answer.errors?.[0]?.extensions?.limit).toBe(limit);
  expect(await stack.emulator.counts()).toEqual({});
}

async function post(body: BodyInit, headers: Record<string, string>, init: RequestInit = {}) {
  const response = await fetch(endpoint, { method: "POST", headers, body, ...init });
  const text = await response.text();
  return {
    status: response.status,
    text,
    ...(JSON.parse(text) as { errors?: { message: string; extensions?: Record<string, unknown> }[] }),
  };
}

/** A GraphQL multipart request carrying one file of `bytes` bytes. */
function upload(bytes: number) {
  const form = new FormData();
  form.set(
    "operations",
    JSON.stringify({ query: "query($file: String) { stats { current } }", variables: { file: null } }),
  );
  form.set("map", JSON.stringify({ 0: ["variables.file"] }));
  form.set("0", new Blob([new Uint8Array(bytes)], { type: "image/png" }), "big.png");
  return form;
}

describe("depth, aliases and tokens (graphql-armor)", () => {
  it("refuses a document deeper than MAX_DEPTH and serves one within it", async () => {
    const deep = await stack.gql(
      `{ images(first: 1) { edges { node { variants { variant { options { width } } } } } } }`,
    );
    await expectRefused(deep, "maxDepth");
    expect(deep.errors?.[0]?.message).toMatch(/depth limit of 5/);
    const shallow = await stack.gql(`{ images(first: 1) { edges { node { imageId } } } }`);
    expect(shallow.errors).toBeUndefined();
  });

  it("refuses more aliases than MAX_ALIASES and serves as many as it allows", async () => {
    await expectRefused(
      await stack.gql(`{ a: stats { current } b: stats { current } c: stats { current } d: stats { current } }`),
      "maxAliases",
    );
    const three = await stack.gql(`{ a: stats { current } b: stats { current } c: stats { current } }`);
    expect(three.errors).toBeUndefined();
  });

  it("refuses a document of more than MAX_TOKENS tokens while parsing it", async () => {
    const answer = await stack.gql(`{ stats { ${"current ".repeat(300)} } }`);
    await expectRefused(answer, "maxTokens");
    expect(answer.errors?.[0]?.message).toMatch(/Token limit of 300/);
    expect((await stack.gql(`{ stats { ${"current ".repeat(200)} } }`)).errors).toBeUndefined();
  });
});

describe("cost limit (first/last and upstream-calling fields)", () => {
  const LIST = `query List($n: Int) { images(first: $n) { edges { node { imageId } } } }`;

  it("counts `first`, whether written in the document or passed as a variable", async () => {
    await expectRefused(await stack.gql(`{ images(first: 500) { edges { node { imageId } } } }`), "cost");
    const viaVariable = await stack.gql(LIST, { n: 500 });
    await expectRefused(viaVariable, "cost");
    expect(viaVariable.errors?.[0]?.message).toMatch(/over the limit of 1000 \(MAX_COST\)/);
    expect((await stack.gql(LIST, { n: 100 })).errors).toBeUndefined();
  });

  it("counts `last` the same way", async () => {
    await expectRefused(await stack.gql(`{ images(last: 500) { edges { node { imageId } } } }`), "cost");
  });

  it("weighs each upstream-calling field: a nodes() of many ids is refused before any lookup", async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `"${Buffer.from(`Image:missing-${i}`).toString("base64")}"`);
    await expectRefused(await stack.gql(`{ nodes(ids: [${ids.join(", ")}]) { id } }`), "cost");
    const few = await stack.gql(`{ nodes(ids: [${ids.slice(0, 5).join(", ")}]) { id } }`);
    expect(few.errors).toBeUndefined();
    expect(await stack.emulator.counts()).toEqual({ "GET /accounts/{account_id}/images/v1/{image_id}": 5 });
  });
});

describe("request size", () => {
  it("refuses a JSON body over MAX_BODY_BYTES with HTTP 413", async () => {
    const query = `{ stats { current } } # ${"x".repeat(5000)}`;
    const answer = await post(JSON.stringify({ query }), { "content-type": "application/json" });
    expect(answer.status).toBe(413);
    await expectRefused(answer, "maxBodyBytes");
  });

  it("refuses a body without a Content-Length (chunked) with HTTP 411", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ query: "{ stats { current } }" })));
        controller.close();
      },
    });
    const answer = await post(body, { "content-type": "application/json" }, { duplex: "half" } as RequestInit);
    expect(answer.status).toBe(411);
    await expectRefused(answer, "maxBodyBytes");
  });

  it("cuts off a file over MAX_UPLOAD_BYTES while streaming it: a typed FILE_SIZE error, nothing stored", async () => {
    const form = new FormData();
    const mutation = `mutation($file: Upload) { uploadImage(input: { file: $file }) {
      __typename ... on LimitExceededError { limit max }
    } }`;
    form.set("operations", JSON.stringify({ query: mutation, variables: { file: null } }));
    form.set("map", JSON.stringify({ 0: ["variables.file"] }));
    form.set("0", new Blob([new Uint8Array(2000)], { type: "image/png" }), "big.png");
    const before = await stack.emulator.api<{ count: { current: number } }>("GET", "/v1/stats");
    const answer = await post(form, { "x-graphql-yoga-csrf": "1" });
    expect(answer.status).toBe(200);
    expect((answer as { data?: unknown }).data).toEqual({
      uploadImage: { __typename: "LimitExceededError", limit: "FILE_SIZE", max: 1000 },
    });
    const after = await stack.emulator.api<{ count: { current: number } }>("GET", "/v1/stats");
    expect(after.body.result.count.current).toBe(before.body.result.count.current);
  });

  it("refuses an upload whose declared length exceeds one file plus its operations, before reading it", async () => {
    const answer = await post(upload(20_000), { "x-graphql-yoga-csrf": "1" });
    expect(answer.status).toBe(413);
    await expectRefused(answer, "maxBodyBytes");
  });
});

describe("CSRF prevention", () => {
  it("refuses a simple (non-preflighted) POST without a CSRF header, with HTTP 403", async () => {
    const form = await post(new URLSearchParams({ query: "{ stats { current } }" }), {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(403);
    const text = await post(JSON.stringify({ query: "{ stats { current } }" }), { "content-type": "text/plain" });
    expect(text.status).toBe(403);
    const multipart = await post(upload(10), {});
    expect(multipart.status).toBe(403);
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("serves a query over GET as urql and graphql-request send it, with no special header", async () => {
    const url = new URL(endpoint);
    url.searchParams.set("query", "query Stats { stats { current } }");
    url.searchParams.set("operationName", "Stats");
    const answer = await fetch(url, { headers: { accept: "application/graphql-response+json, application/json" } });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { data: { stats: { current: number } } };
    expect(body.data.stats.current).toBeGreaterThan(0);
  });

  it("never runs a mutation sent over GET", async () => {
    const list = "{ images(first: 100) { edges { node { imageId } } } }";
    type List = { images: { edges: { node: { imageId: string } }[] } };
    const before = await stack.gql<List>(list);
    const url = new URL(endpoint);
    const id = before.data?.images.edges[0]?.node.imageId;
    url.searchParams.set("query", `mutation { deleteImage(input: { imageId: "${id}" }) { __typename } }`);
    await stack.emulator.reset();
    const answer = await fetch(url, { headers: { accept: "application/json" } });
    expect(answer.status).toBe(405);
    expect(await stack.emulator.counts()).toEqual({});
    const after = await stack.gql<List>(list);
    expect(after.data?.images.edges).toEqual(before.data?.images.edges);
  });
});
