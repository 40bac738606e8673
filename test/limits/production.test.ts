import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestStack, type TestStack, useTestStack } from "../support/server.ts";

const STATS = "query Stats { stats { current } }";
const STATS_ID = createHash("sha256").update(STATS).digest("hex");
const INTROSPECTION = "{ __schema { queryType { name } } }";

async function post(stack: TestStack, body: unknown) {
  const response = await fetch(new URL("/graphql", stack.server.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    ...((await response.json()) as { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] }),
  };
}

describe("development defaults (embedded emulator)", () => {
  const stack = useTestStack();

  it("serves introspection and the GraphiQL page", async () => {
    const answer = await stack.gql<{ __schema: { queryType: { name: string } } }>(INTROSPECTION);
    expect(answer.data?.__schema.queryType.name).toBe("Query");
    const page = await fetch(new URL("/graphql", stack.server.url), { headers: { accept: "text/html" } });
    expect(await page.text()).toContain("<html");
  });
});

describe("INTROSPECTION=false, GRAPHIQL=false and TRUSTED_DOCUMENTS_FILE", () => {
  let stack: TestStack;
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "trusted-"));
    const manifest = join(directory, "documents.json");
    await writeFile(manifest, JSON.stringify({ [STATS_ID]: STATS, introspect: INTROSPECTION }));
    stack = await startTestStack({
      emulator: { seed: true },
      env: { INTROSPECTION: "false", GRAPHIQL: "false", TRUSTED_DOCUMENTS_FILE: manifest },
    });
  });
  afterAll(async () => {
    await stack.close();
    await rm(directory, { recursive: true });
  });
  beforeEach(() => stack.emulator.reset());

  it("runs a trusted document by `documentId` or by APQ's sha256Hash", async () => {
    const byId = await post(stack, { documentId: STATS_ID });
    expect(byId.errors).toBeUndefined();
    expect(byId.data).toMatchObject({ stats: { current: expect.any(Number) } });
    const byHash = await post(stack, { extensions: { persistedQuery: { version: 1, sha256Hash: STATS_ID } } });
    expect(byHash.data).toEqual(byId.data);
  });

  it("refuses any other document, and unknown ids, before any upstream call", async () => {
    for (const body of [{ query: STATS }, { documentId: "0".repeat(64) }, {}]) {
      const answer = await post(stack, body);
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "trustedDocuments" });
    }
    expect(await stack.emulator.counts()).toEqual({});
  });

  it("refuses introspection, even in a trusted document", async () => {
    const answer = await post(stack, { documentId: "introspect" });
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", limit: "introspection" });
    expect(answer.data ?? null).toBeNull();
  });

  it("does not serve the GraphiQL page", async () => {
    const page = await fetch(new URL("/graphql", stack.server.url), { headers: { accept: "text/html" } });
    expect(await page.text()).not.toContain("<html");
  });
});
