import type { Generator, HostileRequest } from "./hostile-requests.ts";
import { NASTY_VALUES, OPERATORS } from "./hostile-values.ts";

/** GraphQL documents a client got wrong or means harm with: syntax, variables, cursors, ids, filters, aliases, writes. */
export function documentRequests(gen: Generator): (() => HostileRequest)[] {
  const { ctx, next, int, pickOf, nasty, value, existing, missingId, b64, gql } = gen;
  return [
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
  ];
}
