/**
 * Hostile and broken requests, generated from a seed so that a failure can be replayed: bodies,
 * content types, syntax, variables, cursors, ids, filters, aliases, multipart and GET parameters.
 * None of them may change data: writes only ever name images, variants or keys that do not exist,
 * or carry input the API must refuse.
 */
export interface HostileRequest {
  kind: string;
  method: "GET" | "POST" | "PUT" | "DELETE" | "OPTIONS";
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface FuzzContext {
  /** Images that exist: read freely, never written. */
  imageIds: string[];
  /** A real cursor of `images(first: 5)`, to tamper with. */
  cursor: string;
}

/** A small deterministic generator (an LCG): the same seed gives the same requests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const JSON_TYPE = { "content-type": "application/json" };
const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "%00",
  "../../etc/passwd",
  "a/b/../c",
  "ünïcødé-🙂",
  "\ud800",
  "'; DROP TABLE images; --",
  "<script>alert(1)</script>",
  "$" + "{jndi:ldap://x}",
  "%zz",
  "null",
  "undefined",
  "__proto__",
  "constructor",
  "x".repeat(5000),
  "-1",
  "1e309",
  "\r\nx-injected: 1",
];
const NASTY_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  2 ** 31,
  2 ** 53 + 1,
  1.5,
  Number.MAX_VALUE,
  "",
  "ten",
  [],
  [null],
  {},
  { __proto__: { polluted: true } },
  { a: { b: { c: { d: { e: {} } } } } },
  "x".repeat(3000),
];
const OPERATORS = ["eq", "in", "gt", "lt", "ne", "EQ", "", "$where", "eq]", "neq"];

/** Percent-encodes what can be; a lone surrogate becomes the bytes a careless client would send. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return "%ED%A0%80";
  }
}

export function hostileRequests(seed: number, count: number, ctx: FuzzContext): HostileRequest[] {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pickOf = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const nasty = () => pickOf(NASTY_STRINGS);
  const value = (): unknown => (next() < 0.5 ? pickOf(NASTY_VALUES) : nasty());
  const existing = () => pickOf(ctx.imageIds);
  const missingId = () => `fuzz-missing-${int(1e9)}${next() < 0.3 ? `/${nasty()}` : ""}`;
  const b64 = (s: string) => Buffer.from(s).toString(next() < 0.5 ? "base64" : "base64url");
  const post = (kind: string, body: unknown, headers: Record<string, string> = JSON_TYPE): HostileRequest => ({
    kind,
    method: "POST",
    path: "/graphql",
    headers,
    body: typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const gql = (kind: string, query: string, variables?: unknown) => post(kind, { query, variables });

  const makers: (() => HostileRequest)[] = [
    // Bodies that are not what they claim.
    () => post("body:random-bytes", Buffer.from(Array.from({ length: int(400) }, () => int(256)))),
    () => post("body:truncated", JSON.stringify({ query: "{ images { edges { cursor } } }" }).slice(0, int(30))),
    () => post("body:deep-json", `${"[".repeat(2000 + int(5000))}${"]".repeat(int(10))}`),
    () =>
      post(
        "body:wrong-shape",
        pickOf([
          '{"query":5}',
          '{"query":null}',
          '{"variables":"x","query":"{ __typename }"}',
          "[]",
          "[1,2]",
          '"str"',
          "null",
          '{"query":["{ a }"]}',
          '{"operationName":{},"query":"{ __typename }"}',
          '{"extensions":"x","query":"{ __typename }"}',
        ]),
      ),
    () => post("body:batch", JSON.stringify(Array.from({ length: int(50) }, () => ({ query: "{ __typename }" })))),
    () => post("body:empty", ""),
    // Content types.
    () =>
      post("type:other", '{"query":"{ __typename }"}', {
        "content-type": pickOf([
          "text/plain",
          "application/xml",
          "application/x-www-form-urlencoded",
          "application/graphql",
          "application/json; charset=utf-7",
          "*/*",
        ]),
      }),
    () => post("type:missing", '{"query":"{ __typename }"}', {}),
    () =>
      post("type:multipart-no-boundary", "--x\r\n\r\n", {
        "content-type": "multipart/form-data",
        "apollo-require-preflight": "true",
      }),
    // Syntax.
    () =>
      gql(
        "syntax:truncated",
        'query Q($id: ID!) { image(imageId: $id) { imageId url(variant: "public") } }'.slice(0, 5 + int(60)),
        { id: existing() },
      ),
    () =>
      gql(
        "syntax:garbage",
        Array.from({ length: 1 + int(40) }, () =>
          pickOf([
            "{",
            "}",
            "(",
            ")",
            ":",
            "...",
            "@",
            "$",
            "!",
            "[",
            "]",
            '"',
            "#",
            "query",
            "fragment",
            "on",
            "images",
            nasty(),
          ]),
        ).join(" "),
      ),
    () =>
      gql("syntax:deep", `{ ${'node(id: "x") { ... on Image { '.repeat(20 + int(30))}imageId${" } }".repeat(20)} }`),
    () => gql("syntax:fragment-cycle", "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
    () => gql("syntax:unknown-directive", `{ images @${nasty() || "x"} { edges { cursor } } }`),
    () => gql("syntax:many-tokens", `{ ${"__typename ".repeat(3000 + int(3000))} }`),
    () => gql("syntax:subscription", "subscription { images { edges { cursor } } }"),
    () =>
      gql(
        "syntax:introspection",
        "{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }",
      ),
    // Variables.
    () =>
      gql(
        "variables:wrong-type",
        "query($first: Int, $after: String) { images(first: $first, after: $after) { edges { cursor } } }",
        { first: value(), after: value() },
      ),
    () => gql("variables:not-object", "query($id: ID!) { image(imageId: $id) { imageId } }", pickOf(NASTY_VALUES)),
    () => gql("variables:missing-required", "query($id: ID!) { image(imageId: $id) { imageId } }", {}),
    () => gql("variables:extra", "{ __typename }", { [nasty() || "x"]: value() }),
    // Cursors.
    () =>
      gql("cursor:random", "query($after: String) { images(first: 5, after: $after) { edges { cursor } } }", {
        after: next() < 0.5 ? b64(nasty()) : nasty(),
      }),
    () => {
      const raw = Buffer.from(ctx.cursor, "base64url");
      for (let i = 0; i < 1 + int(4); i++) raw[int(raw.length)] = int(256);
      return gql("cursor:tampered", "query($after: String) { images(first: 3, after: $after) { edges { cursor } } }", {
        after: raw.toString("base64url"),
      });
    },
    () =>
      gql(
        "cursor:other-filter",
        'query($c: String) { images(first: 3, after: $c, filter: { creator: "someone-else" }) { edges { cursor } } }',
        { c: ctx.cursor },
      ),
    () =>
      gql("cursor:backward", "query($c: String, $n: Int) { images(last: $n, before: $c) { edges { cursor } } }", {
        c: next() < 0.5 ? ctx.cursor : nasty(),
        n: pickOf([0, 1, 5, 10_001, -3]),
      }),
    () =>
      gql(
        "cursor:both-ways",
        "query($c: String) { images(first: 2, last: 2, after: $c, before: $c) { edges { cursor } } }",
        { c: ctx.cursor },
      ),
    // Ids.
    () =>
      gql("id:image", 'query($id: ID!) { image(imageId: $id) { imageId url(variant: "public") } }', {
        id: next() < 0.5 ? nasty() : missingId(),
      }),
    () =>
      gql("id:node", "query($id: ID!) { node(id: $id) { id } }", {
        id: pickOf([
          nasty(),
          b64(`Image:${nasty()}`),
          b64(`Variant:${nasty()}`),
          b64(`SigningKey:${nasty()}`),
          b64(`${nasty()}:${existing()}`),
          b64(":"),
        ]),
      }),
    () =>
      gql("id:nodes", "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {
        ids: Array.from({ length: int(120) }, () => b64(`Image:${next() < 0.5 ? existing() : nasty()}`)),
      }),
    () =>
      gql(
        "id:url",
        "query($id: ID!, $v: String!, $e: Int) { image(imageId: $id) { url(variant: $v, expiresIn: $e) } }",
        { id: existing(), v: nasty(), e: pickOf([0, -1, 2 ** 31 - 1, 1]) },
      ),
    () => gql("id:variant", "query($n: String!) { variant(name: $n) { name } }", { n: nasty() }),
    // Filters.
    () =>
      gql("filter:meta", "query($f: ImageFilter) { images(first: 5, filter: $f) { edges { cursor } } }", {
        f: {
          meta: Array.from({ length: int(8) }, () => ({
            path: next() < 0.5 ? nasty() : "a.b.c.d.e.f",
            operator: pickOf(OPERATORS),
            value: value(),
          })),
        },
      }),
    () =>
      gql("filter:creator", "query($f: ImageFilter) { images(first: 5, filter: $f) { edges { cursor } } }", {
        f: { creator: value() },
      }),
    () =>
      gql(
        "filter:sort",
        `{ images(first: 5, sortOrder: ${pickOf(["ASC", "desc", "sideways", '"asc"', "null", "1"])}) { edges { cursor } } }`,
      ),
    () =>
      gql(
        "filter:first",
        `{ images(first: ${pickOf(["-1", "10001", "99999999999", "1.5", '"5"', "null"])}) { edges { cursor } } }`,
      ),
    // Aliases.
    () =>
      gql(
        "aliases:many",
        `{ ${Array.from({ length: 31 + int(200) }, (_, i) => `a${i}: image(imageId: "${existing()}") { imageId }`).join(" ")} }`,
      ),
    () =>
      gql(
        "aliases:conflict",
        `{ a: image(imageId: "${existing()}") { imageId } a: image(imageId: "${missingId()}") { filename } }`,
      ),
    () =>
      gql(
        "aliases:costly",
        `{ ${Array.from({ length: 5 }, (_, i) => `p${i}: images(first: 10000) { edges { node { variants { variant { name } } } } }`).join(" ")} }`,
      ),
    // Writes that must be refused, so no data changes.
    () =>
      gql("write:update-missing", "mutation($i: UpdateImageInput!) { updateImage(input: $i) { __typename } }", {
        i: { imageId: missingId(), metadata: value(), creator: value() },
      }),
    () =>
      gql("write:update-invalid", "mutation($i: UpdateImageInput!) { updateImage(input: $i) { __typename } }", {
        i: { imageId: existing(), metadata: pickOf(["x".repeat(2000), [1, 2], "not an object", 5]) },
      }),
    () =>
      gql("write:delete-missing", "mutation($i: DeleteImageInput!) { deleteImage(input: $i) { __typename } }", {
        i: { imageId: next() < 0.5 ? missingId() : value() },
      }),
    () =>
      gql("write:variant-invalid", "mutation($i: CreateVariantInput!) { createVariant(input: $i) { __typename } }", {
        i: { name: nasty(), options: { fit: nasty(), width: value(), height: value() } },
      }),
    () =>
      gql("write:key-invalid", "mutation($i: DeleteSigningKeyInput!) { deleteSigningKey(input: $i) { __typename } }", {
        i: { name: `fuzz-missing-${nasty()}` },
      }),
    () =>
      gql("write:upload-url-bad", "mutation($i: UploadImageInput!) { uploadImage(input: $i) { __typename } }", {
        i: { url: pickOf(["not a url", "file:///etc/passwd", "http://", "ftp://x/y.png", nasty()]), id: nasty() },
      }),
    () =>
      gql("write:upload-both", "mutation($i: UploadImageInput!) { uploadImage(input: $i) { __typename } }", { i: {} }),
    // Multipart.
    () =>
      multipart("multipart:no-map", [
        [
          "operations",
          JSON.stringify({
            query: "mutation($i: UploadImageInput!) { uploadImage(input: $i) { __typename } }",
            variables: { i: { file: null } },
          }),
        ],
      ]),
    () =>
      multipart("multipart:bad-map", [
        [
          "operations",
          JSON.stringify({
            query: "mutation($i: UploadImageInput!) { uploadImage(input: $i) { __typename } }",
            variables: { i: { file: null } },
          }),
        ],
        [
          "map",
          pickOf([
            '{"0":["variables.nope.deep"]}',
            '{"0":"x"}',
            "[]",
            "nope",
            '{"0":["variables.i.file"],"1":["variables.i.file"]}',
          ]),
        ],
        ["0", "not an image", "x.png"],
      ]),
    () =>
      multipart("multipart:not-an-image", [
        [
          "operations",
          JSON.stringify({
            query: "mutation($i: UploadImageInput!) { uploadImage(input: $i) { __typename } }",
            variables: { i: { file: null } },
          }),
        ],
        ["map", '{"0":["variables.i.file"]}'],
        ["0", Buffer.from(Array.from({ length: int(3000) }, () => int(256))).toString("latin1"), nasty() || "f"],
      ]),
    () =>
      multipart("multipart:file-first", [
        ["0", "bytes", "x.png"],
        ["operations", "{}"],
        ["map", "{}"],
      ]),
    () => {
      const request = multipart("multipart:truncated", [
        ["operations", JSON.stringify({ query: "{ __typename }" })],
        ["map", "{}"],
      ]);
      request.body = (request.body as Buffer).subarray(0, int((request.body as Buffer).length));
      return request;
    },
    // GET parameters.
    () =>
      get(
        "get:mutation",
        `query=${encode(`mutation { deleteImage(input: { imageId: "${existing()}" }) { __typename } }`)}`,
      ),
    () =>
      get(
        "get:bad-encoding",
        pickOf([
          "query=%zz",
          "query=%E0%A4%A",
          "variables=%7B&query=%7B__typename%7D",
          "query=",
          "&&&",
          "query[]=a&query[]=b",
          `query=${"%7B".repeat(3000)}`,
        ]),
      ),
    () =>
      get(
        "get:variables",
        `query=${encode("query($id: ID!) { image(imageId: $id) { imageId } }")}&variables=${encode(pickOf(["not json", "[]", "null", '{"id":null}', JSON.stringify({ id: nasty() })]))}`,
      ),
    () =>
      get(
        "get:extensions",
        `query=${encode("{ __typename }")}&extensions=${encode(pickOf(['{"persistedQuery":{"version":1,"sha256Hash":"00"}}', "x", "[]"]))}`,
      ),
    // Other routes and methods.
    () => ({
      kind: "route:blob",
      method: pickOf(["GET", "POST", "DELETE"] as const),
      path: `/images/${encode(next() < 0.5 ? missingId() : nasty())}/blob`,
      headers: {},
    }),
    () => ({
      kind: "route:method",
      method: pickOf(["PUT", "DELETE", "OPTIONS"] as const),
      path: "/graphql",
      headers: JSON_TYPE,
      body: '{"query":"{ __typename }"}',
    }),
    () => ({
      kind: "route:path",
      method: "GET",
      path: pickOf([
        "/",
        "/graphql/../metrics",
        "/%2e%2e/",
        "/images//blob",
        "/images/%ZZ/blob",
        `/${"a".repeat(3000)}`,
        "/readiness?x=1",
      ]),
      headers: {},
    }),
  ];

  function multipart(kind: string, parts: ([string, string] | [string, string, string])[]): HostileRequest {
    const boundary = `fuzz${int(1e9)}`;
    const chunks = parts.map(([name, content, filename]) => {
      const disposition = `form-data; name="${name}"${filename === undefined ? "" : `; filename="${filename.replace(/["\r\n]/g, "")}"`}`;
      return `--${boundary}\r\ncontent-disposition: ${disposition}\r\n${filename ? "content-type: image/png\r\n" : ""}\r\n${content}\r\n`;
    });
    return {
      kind,
      method: "POST",
      path: "/graphql",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "apollo-require-preflight": "true" },
      body: Buffer.from(`${chunks.join("")}--${boundary}--\r\n`, "latin1"),
    };
  }

  function get(kind: string, search: string): HostileRequest {
    return { kind, method: "GET", path: `/graphql?${search}`, headers: { "x-graphql-yoga-csrf": "1" } };
  }

  return Array.from({ length: count }, () => pickOf(makers)());
}
