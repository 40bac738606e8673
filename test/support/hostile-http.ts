import type { Generator, HostileRequest } from "./hostile-requests.ts";
import { JSON_TYPE } from "./hostile-values.ts";

/** Percent-encodes what can be; a lone surrogate becomes the bytes a careless client would send. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return "%ED%A0%80";
  }
}

/** Requests broken below GraphQL: bodies, content types, multipart, GET parameters, other routes and methods. */
export function httpRequests(gen: Generator): (() => HostileRequest)[] {
  const { next, int, pickOf, nasty, existing, missingId, post } = gen;
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

  return [
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
}
