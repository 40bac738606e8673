import type { GraphQLAnswer, TestStack } from "./server.ts";

export interface UploadFile {
  /** Where the file goes in the operation, per the multipart request spec: `variables.input.file`. */
  path: string;
  bytes: Uint8Array;
  name: string;
  type?: string;
}

/**
 * A GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec) sent
 * the way a browser sends one: `FormData` with `operations`, `map`, then the files, through `fetch`.
 */
export async function gqlMultipart<T = Record<string, unknown>>(
  stack: Pick<TestStack, "fetch">,
  query: string,
  variables: Record<string, unknown>,
  files: UploadFile[],
): Promise<GraphQLAnswer<T>> {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query, variables }));
  form.append("map", JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
  for (const [i, file] of files.entries()) {
    form.append(String(i), new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.type ?? "" }), file.name);
  }
  const response = await stack.fetch("/graphql", {
    method: "POST",
    // What upload clients send (apollo-upload-client), so the server's CSRF prevention lets it in.
    headers: { accept: "application/graphql-response+json, application/json", "apollo-require-preflight": "true" },
    body: form,
  });
  const text = await response.text();
  return { status: response.status, text, ...(JSON.parse(text) as Omit<GraphQLAnswer<T>, "status" | "text">) };
}

export const UPLOAD_IMAGE = `
  mutation Upload($input: UploadImageInput!) {
    uploadImage(input: $input) {
      __typename
      ... on UploadImagePayload { image { imageId filename creator meta requireSignedURLs draft url(variant: "public") } }
      ... on MutationError { message }
      ... on ValidationError { path }
      ... on ConflictError { path }
      ... on LimitExceededError { limit max }
      ... on UpstreamError { status errors { code message } }
    }
  }
`;

export interface UploadResult {
  uploadImage: {
    __typename: string;
    image?: {
      imageId: string;
      filename: string | null;
      creator: string | null;
      meta: Record<string, unknown>;
      requireSignedURLs: boolean;
      draft: boolean;
      url: string;
    };
    message?: string;
    path?: string[];
    limit?: string;
    max?: number;
  };
}

export const UPLOAD_V1 = "POST /accounts/{account_id}/images/v1";
