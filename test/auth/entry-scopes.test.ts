import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { SCOPES, type Scope } from "../../src/auth/index.ts";
import { subgraphSchema } from "../../src/schema/index.ts";
import { type GraphQLAnswer, useTestStack } from "../support/server.ts";
import { subscribe } from "../support/sse.ts";

const sha256 = (secret: string) => createHash("sha256").update(secret).digest("hex");
const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");

/** One way into the graph, and the scopes (any of them) it must demand. */
interface EntryCase {
  label: string;
  document: string;
  variables?: Record<string, unknown>;
  anyOf: readonly Scope[] | "any";
  /** Scopes that must all be held besides one of `anyOf` (the bulk mutations: `images:bulk` too). */
  allOf?: readonly Scope[];
  /** The code an allowed call still answers here (bulk jobs without a durable store, an unknown job). */
  allowedCode?: string;
  /** Federation's fields are served to gateways only, at /subgraph. */
  path?: "/subgraph";
  /** A subscription: asked over SSE; its first event (or a quiet open stream) is the answer. */
  sse?: true;
}

const READ: readonly Scope[] = ["images:read"];
const WRITE: readonly Scope[] = ["images:write"];
const KEY_WRITE: readonly Scope[] = ["keys:write"];
const BULK: readonly Scope[] = ["images:bulk"];
const NO_JOB = globalId("BulkJob", "none-such");
const ENTITIES = `query ($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Image { imageId meta } ... on Variant { name } } }`;

/**
 * The rule of every root field, written down independently of the code: a root field missing here
 * fails the test, so a new entry point cannot ship without saying who may call it.
 */
const RULES: Record<string, EntryCase[]> = {
  image: [{ label: "image", document: `{ image(imageId: "private-0") { imageId meta } }`, anyOf: READ }],
  images: [{ label: "images", document: `{ images(first: 2) { edges { node { imageId } } } }`, anyOf: READ }],
  variant: [{ label: "variant", document: `{ variant(name: "public") { name } }`, anyOf: READ }],
  variants: [{ label: "variants", document: `{ variants { name } }`, anyOf: READ }],
  stats: [{ label: "stats", document: `{ stats { current } }`, anyOf: READ }],
  catalogue: [{ label: "catalogue", document: `{ catalogue { status } }`, anyOf: READ }],
  // `first: 0` asks the catalogue nothing: a clean answer with the catalogue off, as these tests run.
  duplicateImages: [
    { label: "duplicateImages", document: `{ duplicateImages(first: 0) { pageInfo { hasNextPage } } }`, anyOf: READ },
  ],
  signingKeys: [
    { label: "signingKeys names", document: `{ signingKeys { name } }`, anyOf: ["images:read", "keys:read"] },
    { label: "signingKeys values", document: `{ signingKeys { name value } }`, anyOf: ["keys:read"] },
  ],
  node: [
    { label: "node Image", document: `{ node(id: "${globalId("Image", "private-0")}") { id } }`, anyOf: READ },
    { label: "node Variant", document: `{ node(id: "${globalId("Variant", "public")}") { id } }`, anyOf: READ },
    { label: "node BulkJob", document: `{ node(id: "${NO_JOB}") { id } }`, anyOf: BULK },
    {
      label: "node SigningKey",
      document: `{ node(id: "${globalId("SigningKey", "default")}") { id } }`,
      anyOf: ["images:read", "keys:read"],
    },
    {
      label: "node SigningKey value",
      document: `{ node(id: "${globalId("SigningKey", "default")}") { ... on SigningKey { value } } }`,
      anyOf: ["keys:read"],
    },
  ],
  nodes: [
    {
      label: "nodes Image",
      document: `{ nodes(ids: ["${globalId("Image", "private-0")}", "${globalId("Image", "private-1")}"]) { id } }`,
      anyOf: READ,
    },
  ],
  _entities: [
    {
      label: "_entities Image",
      document: ENTITIES,
      variables: { r: [{ __typename: "Image", imageId: "private-0" }] },
      anyOf: READ,
      path: "/subgraph",
    },
    {
      label: "_entities Variant",
      document: ENTITIES,
      variables: { r: [{ __typename: "Variant", name: "public" }] },
      anyOf: READ,
      path: "/subgraph",
    },
  ],
  // Federation's schema field: nothing of the account's data, so any authenticated caller (at /subgraph).
  _service: [{ label: "_service", document: `{ _service { sdl } }`, anyOf: "any", path: "/subgraph" }],
  uploadImage: [{ label: "uploadImage", document: `mutation { uploadImage(input: {}) { __typename } }`, anyOf: WRITE }],
  updateImage: [
    {
      label: "updateImage",
      document: `mutation { updateImage(input: { imageId: "none-such", creator: "x" }) { __typename } }`,
      anyOf: WRITE,
    },
  ],
  deleteImage: [
    {
      label: "deleteImage",
      document: `mutation { deleteImage(input: { imageId: "none-such" }) { __typename } }`,
      anyOf: WRITE,
    },
  ],
  createDirectUpload: [
    {
      label: "createDirectUpload",
      document: `mutation { createDirectUpload(input: { expiresAt: "2000-01-01T00:00:00Z" }) { __typename } }`,
      anyOf: WRITE,
    },
  ],
  createVariant: [
    {
      label: "createVariant",
      document: `mutation { createVariant(input: { name: "${"v".repeat(120)}", options: { fit: COVER, metadata: NONE, width: 10, height: 10 } }) { __typename } }`,
      anyOf: WRITE,
    },
  ],
  updateVariant: [
    {
      label: "updateVariant",
      document: `mutation { updateVariant(input: { name: "none-such", options: { fit: COVER, metadata: NONE, width: 10, height: 10 } }) { __typename } }`,
      anyOf: WRITE,
    },
  ],
  deleteVariant: [
    {
      label: "deleteVariant",
      document: `mutation { deleteVariant(input: { name: "public" }) { __typename } }`,
      anyOf: WRITE,
    },
  ],
  createSigningKey: [
    {
      label: "createSigningKey",
      document: `mutation { createSigningKey(input: { name: "${"k".repeat(30)}" }) { __typename } }`,
      anyOf: KEY_WRITE,
    },
  ],
  // Subscriptions read images: a ready image emits at once; imageChanged stays quiet until a change.
  imageReady: [
    {
      label: "imageReady",
      document: `subscription { imageReady(imageId: "private-0") { imageId meta } }`,
      anyOf: READ,
      sse: true,
    },
  ],
  imageChanged: [
    {
      label: "imageChanged",
      document: `subscription { imageChanged(imageId: "private-0") { imageId meta } }`,
      anyOf: READ,
      sse: true,
    },
  ],
  // Bulk jobs: this stack has no durable store, so an allowed bulk mutation is refused as input.
  bulkJob: [
    { label: "bulkJob", document: `{ bulkJob(id: "${NO_JOB}") { id } }`, anyOf: BULK, allowedCode: "NOT_FOUND" },
  ],
  bulkJobs: [{ label: "bulkJobs", document: `{ bulkJobs { edges { node { id } } } }`, anyOf: BULK }],
  bulkJobProgress: [
    {
      label: "bulkJobProgress",
      document: `subscription { bulkJobProgress(id: "${NO_JOB}") { id } }`,
      anyOf: BULK,
      allowedCode: "NOT_FOUND",
      sse: true,
    },
  ],
  deleteImages: [
    {
      label: "deleteImages",
      document: `mutation { deleteImages(input: { imageIds: ["a"] }) { matched } }`,
      anyOf: WRITE,
      allOf: BULK,
      allowedCode: "BAD_USER_INPUT",
    },
  ],
  updateImages: [
    {
      label: "updateImages",
      document: `mutation { updateImages(input: { imageIds: ["a"], set: { creator: "x" } }) { matched } }`,
      anyOf: WRITE,
      allOf: BULK,
      allowedCode: "BAD_USER_INPUT",
    },
  ],
  importImages: [
    {
      label: "importImages",
      document: `mutation { importImages(input: { items: [{ url: "http://127.0.0.1/a.png" }] }) { matched } }`,
      anyOf: WRITE,
      allOf: BULK,
      allowedCode: "BAD_USER_INPUT",
    },
  ],
  cancelBulkJob: [
    {
      label: "cancelBulkJob",
      document: `mutation { cancelBulkJob(input: { id: "${NO_JOB}" }) { job { id } } }`,
      anyOf: WRITE,
      allOf: BULK,
      allowedCode: "NOT_FOUND",
    },
  ],
  deleteSigningKey: [
    {
      label: "deleteSigningKey",
      document: `mutation { deleteSigningKey(input: { name: "none-such" }) { __typename } }`,
      anyOf: KEY_WRITE,
    },
  ],
};

/** An allowed call's errors, less the one code its rule expects here (none, or undefined). */
function unexpected(errors: { extensions?: Record<string, unknown> }[] | undefined, allowedCode?: string) {
  const left = (errors ?? []).filter((e) => allowedCode === undefined || e.extensions?.code !== allowedCode);
  return left.length > 0 ? left : undefined;
}

const SCOPE_SETS: readonly (readonly Scope[])[] = [...SCOPES.map((s) => [s]), [...SCOPES]];
const secretOf = (scopes: readonly Scope[]) => `secret-${scopes.join("+")}-0123456789`;

const stack = useTestStack({
  env: {
    AUTH_MODE: "api-key",
    API_KEYS: SCOPE_SETS.map((set, i) => `k${i}:${sha256(secretOf(set))}:${set.join("+")}`).join(","),
  },
});
beforeAll(async () => {
  const created = await stack.emulator.admin("POST", "/images", { count: 2, requireSignedURLs: true });
  // The bulk images get UUIDs; the rules name them by position.
  privateIds = ((await created.json()) as { ids: string[] }).ids;
});

let privateIds: string[] = [];

/** A subscription's first event, or a clean answer when the stream stays open and quiet for a while. */
async function firstEvent(document: string, headers: Record<string, string>): Promise<GraphQLAnswer> {
  const sub = await subscribe(stack.server.url, document, {}, headers);
  const quiet = await sub.quietFor(500);
  const part = quiet ? undefined : await sub.next();
  sub.abort();
  const body = part === undefined || part === "end" ? {} : part;
  return { status: sub.response.status, text: JSON.stringify(body), ...body } as GraphQLAnswer;
}
const withIds = (text: string) =>
  text
    .replaceAll("private-0", privateIds[0] ?? "")
    .replaceAll("private-1", privateIds[1] ?? "")
    .replaceAll(globalId("Image", "private-0"), globalId("Image", privateIds[0] ?? ""))
    .replaceAll(globalId("Image", "private-1"), globalId("Image", privateIds[1] ?? ""));

describe("one scope rule for every entry point (api-key mode)", () => {
  it("has a rule for every root field of Query, Mutation and Subscription, and _entities", () => {
    // The subgraph schema: every root field of the client API, plus federation's.
    const schema = subgraphSchema();
    const rootFields = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap(
      (type) => (type ? Object.keys(type.getFields()) : []),
    );
    expect(rootFields).toContain("_entities");
    expect(rootFields.filter((name) => !RULES[name])).toEqual([]);
  });

  for (const scopes of SCOPE_SETS) {
    it(`answers every entry point as its rule says, with the scopes ${scopes.join(" + ")}`, async () => {
      const headers = { authorization: `Bearer ${secretOf(scopes)}` };
      const mismatches: unknown[] = [];
      for (const entry of Object.values(RULES).flat()) {
        await stack.emulator.reset();
        const variables = entry.variables && JSON.parse(withIds(JSON.stringify(entry.variables)));
        const answer = entry.sse
          ? await firstEvent(withIds(entry.document), headers)
          : await stack.gql(withIds(entry.document), variables, headers, entry.path);
        const forbidden = (answer.errors ?? []).some((e) => e.extensions?.code === "FORBIDDEN");
        const allowed =
          (entry.anyOf === "any" || entry.anyOf.some((s) => scopes.includes(s))) &&
          (entry.allOf ?? []).every((s) => scopes.includes(s));
        // Allowed: a clean answer. Refused: FORBIDDEN, and (for whole entry points, not the one
        // secret field) before any lookup, so a caller without the scope cannot even spend the budget.
        const fieldRule = entry.label.endsWith("value") || entry.label.endsWith("values");
        const got = {
          entry: entry.label,
          status: answer.status,
          forbidden,
          errors: allowed ? unexpected(answer.errors, entry.allowedCode) : undefined,
          calls: allowed || fieldRule ? {} : await stack.emulator.counts(),
          leaks: !allowed && /"meta"|sig=/.test(answer.text),
        };
        const want = {
          entry: entry.label,
          status: 200,
          forbidden: !allowed,
          errors: undefined,
          calls: {},
          leaks: false,
        };
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(got);
      }
      expect(mismatches).toEqual([]);
    });
  }
});
