import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  type CacheConfig,
  ConnectionHandler,
  commitLocalUpdate,
  commitMutation,
  Environment,
  fetchQuery,
  type GraphQLResponse,
  type GraphQLTaggedNode,
  Network,
  RecordSource,
  type RequestParameters,
  Store,
  type UploadableMap,
  type Variables,
} from "relay-runtime";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { startTestStack, type TestStack } from "../support/server.ts";

const TOTAL = 23;
const CONNECTION_KEY = "relayGrid_images";

// What a Relay app writes in its components; relay-compiler checks it against schema/schema.graphql.
const DOCUMENTS = `import { graphql } from "relay-runtime";

export const grid = graphql\`
  fragment relayGrid_query on Query
  @refetchable(queryName: "relayGridPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int" }, after: { type: "String" }, last: { type: "Int" }, before: { type: "String" }
    filter: { type: "ImageFilter" }, sortOrder: { type: "SortOrder", defaultValue: DESC }
  ) {
    images(first: $first, after: $after, last: $last, before: $before, filter: $filter, sortOrder: $sortOrder)
      @connection(key: "${CONNECTION_KEY}", filters: ["filter", "sortOrder"]) {
      __id
      edges { node { id imageId ...relayCard_image } }
    }
  }
\`;

export const card = graphql\`
  fragment relayCard_image on Image
  @refetchable(queryName: "relayCardRefetchQuery")
  @argumentDefinitions(variant: { type: "String", defaultValue: "public" }) {
    imageId filename uploaded meta url(variant: $variant)
  }
\`;

export const remove = graphql\`
  mutation relayDeleteImageMutation($input: DeleteImageInput!, $connections: [ID!]!) {
    deleteImage(input: $input) {
      __typename
      ... on DeleteImagePayload { deletedId @deleteEdge(connections: $connections) }
      ... on MutationError { message }
    }
  }
\`;

export const upload = graphql\`
  mutation relayUploadImageMutation($file: Upload!) {
    uploadImage(input: { file: $file }) {
      __typename
      ... on UploadImagePayload { image { id imageId filename } }
      ... on MutationError { message }
    }
  }
\`;
`;

let stack: TestStack;
let all: string[];
let project: string;
const artifacts: Record<string, GraphQLTaggedNode> = {};

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), "relay-"));
  await mkdir(join(project, "src"));
  await mkdir(join(project, "__generated__"));
  await writeFile(join(project, "src", "relay.ts"), DOCUMENTS);
  await writeFile(
    join(project, "relay.config.json"),
    JSON.stringify({
      src: "./src",
      schema: new URL("../../schema/schema.graphql", import.meta.url).pathname,
      language: "typescript",
      artifactDirectory: "./__generated__",
      customScalarTypes: { DateTime: "string", JSON: "unknown", Upload: "File" },
    }),
  );
  const compiler = new URL("../../node_modules/.bin/relay-compiler", import.meta.url).pathname;
  await promisify(execFile)(compiler, [], { cwd: project });
  for (const name of [
    "relayGridPaginationQuery",
    "relayCardRefetchQuery",
    "relayDeleteImageMutation",
    "relayUploadImageMutation",
  ]) {
    artifacts[name] = (
      (await import(join(project, "__generated__", `${name}.graphql.ts`))) as { default: GraphQLTaggedNode }
    ).default;
  }

  stack = await startTestStack({ env: { UPSTREAM_PAGE_SIZE: "10" } });
  const response = await stack.emulator.admin("POST", "/images", { count: TOTAL });
  all = ((await response.json()) as { ids: string[] }).ids;
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await rm(project, { recursive: true, force: true });
});
beforeEach(() => stack.emulator.reset());

/** A Relay network over fetch: JSON for operations, the multipart request spec when there are uploadables. */
function relayEnvironment() {
  const url = new URL("/graphql", stack.server.url);
  const fetchFn = async (
    params: RequestParameters,
    variables: Variables,
    _config: CacheConfig,
    uploadables?: UploadableMap | null,
  ): Promise<GraphQLResponse> => {
    const operations = { query: params.text, variables };
    let init: RequestInit;
    if (uploadables) {
      const form = new FormData();
      const names = Object.keys(uploadables);
      form.append("operations", JSON.stringify(operations));
      form.append("map", JSON.stringify(Object.fromEntries(names.map((n, i) => [String(i), [`variables.${n}`]]))));
      names.forEach((n, i) => void form.append(String(i), uploadables[n] as Blob));
      init = { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form };
    } else {
      init = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(operations) };
    }
    return (await (await fetch(url, init)).json()) as GraphQLResponse;
  };
  return new Environment({ network: Network.create(fetchFn), store: new Store(new RecordSource()) });
}

/** The connection as Relay's store holds it, once its handler has merged the pages. */
function connectionOf(environment: Environment, sortOrder = "ASC") {
  let state = { id: "", imageIds: [] as string[], nodeIds: [] as string[], pageInfo: {} as Record<string, unknown> };
  commitLocalUpdate(environment, (store) => {
    const connection = ConnectionHandler.getConnection(store.getRoot(), CONNECTION_KEY, { filter: null, sortOrder });
    const nodes = (connection?.getLinkedRecords("edges") ?? []).map((edge) => edge?.getLinkedRecord("node"));
    const pageInfo = connection?.getLinkedRecord("pageInfo");
    state = {
      id: connection?.getDataID() ?? "",
      imageIds: nodes.map((node) => node?.getValue("imageId") as string),
      nodeIds: nodes.map((node) => node?.getDataID() as string),
      pageInfo: Object.fromEntries(
        ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"].map((k) => [k, pageInfo?.getValue(k)]),
      ),
    };
  });
  return state;
}

const query = (environment: Environment, name: string, variables: Variables) =>
  fetchQuery(environment, artifacts[name] as GraphQLTaggedNode, variables).toPromise();

function mutate(environment: Environment, name: string, variables: Variables, uploadables?: UploadableMap) {
  return new Promise<Record<string, { __typename: string } & Record<string, unknown>>>((resolve, reject) => {
    commitMutation(environment, {
      mutation: artifacts[name] as GraphQLTaggedNode,
      variables,
      ...(uploadables ? { uploadables } : {}),
      onCompleted: (response, errors) =>
        errors?.length ? reject(new Error(JSON.stringify(errors))) : resolve(response as never),
      onError: reject,
    });
  });
}

describe("Relay (relay-compiler 21 + relay-runtime) over the real server", () => {
  it("pages forward with the @refetchable pagination query, the @connection handler appending", async () => {
    const environment = relayEnvironment();
    await query(environment, "relayGridPaginationQuery", { first: 5, sortOrder: "ASC" });
    while (connectionOf(environment).pageInfo.hasNextPage) {
      const after = connectionOf(environment).pageInfo.endCursor;
      await query(environment, "relayGridPaginationQuery", { first: 5, after, sortOrder: "ASC" });
    }
    expect(connectionOf(environment).imageIds).toEqual(all);
  });

  it("pages backward (loadPrevious's variables), the handler prepending, until hasPreviousPage is false", async () => {
    const environment = relayEnvironment();
    await query(environment, "relayGridPaginationQuery", { last: 6, sortOrder: "ASC" });
    while (connectionOf(environment).pageInfo.hasPreviousPage) {
      const before = connectionOf(environment).pageInfo.startCursor;
      await query(environment, "relayGridPaginationQuery", { first: null, last: 6, before, sortOrder: "ASC" });
    }
    expect(connectionOf(environment).imageIds).toEqual(all);
  });

  it("refetches an image through Query.node, as @refetchable generates it", async () => {
    const environment = relayEnvironment();
    await query(environment, "relayGridPaginationQuery", { first: 3, sortOrder: "ASC" });
    const id = connectionOf(environment).nodeIds[1] as string;
    const fresh = relayEnvironment();
    await query(fresh, "relayCardRefetchQuery", { id, variant: "public" });
    let imageId: unknown;
    let url: unknown;
    commitLocalUpdate(fresh, (store) => {
      imageId = store.get(id)?.getValue("imageId");
      url = store.get(id)?.getValue("url", { variant: "public" });
    });
    expect(url).toMatch(/\/public$/);
    expect(imageId).toBe(all[1]);
  });

  it("removes the deleted image's edge from the connection with @deleteEdge on deletedId", async () => {
    const environment = relayEnvironment();
    await query(environment, "relayGridPaginationQuery", { first: 5, sortOrder: "ASC" });
    const connection = connectionOf(environment);
    const victim = connection.imageIds[2] as string;
    const answer = await mutate(environment, "relayDeleteImageMutation", {
      input: { imageId: victim },
      connections: [connection.id],
    });
    expect(answer.deleteImage?.__typename).toBe("DeleteImagePayload");
    expect(connectionOf(environment).imageIds).toEqual(connection.imageIds.filter((i) => i !== victim));
    all = all.filter((i) => i !== victim);
  });

  it("uploads a file through the network's uploadables", async () => {
    const environment = relayEnvironment();
    const file = new File([samplePng(8, 8)], "from-relay.png", { type: "image/png" });
    const answer = await mutate(environment, "relayUploadImageMutation", { file: null }, { file });
    expect(answer.uploadImage?.__typename).toBe("UploadImagePayload");
    const imageId = (answer.uploadImage as unknown as { image: { imageId: string } }).image.imageId;
    const stored = await stack.emulator.api<{ filename: string }>("GET", `/v1/${imageId}`);
    expect(stored.body.result.filename).toBe("from-relay.png");
  });
});
