import { createHash } from "node:crypto";
import type { EmulatorProcess } from "./emulator-process.ts";
import type { LoadRequest } from "./load.ts";

/** Real-account settings: an API key per client (the framework floor has no auth and ignores the header). */
export const API_KEY = "bench-api-key-0123456789abcdef";
export const FULL_SERVER_ENV: NodeJS.ProcessEnv = {
  AUTH_MODE: "api-key",
  ALLOW_UNAUTHENTICATED: undefined,
  API_KEYS: `bench:${createHash("sha256").update(API_KEY).digest("hex")}:images:read+keys:read`,
  // The framework floor has no cross-request cache: the comparison is of the pipeline, not of caching.
  CACHE: "off",
};

export interface Scenario {
  name: string;
  /** One upstream call, almost no work of the server's own: where the pipeline's cost shows. */
  singleCall: boolean;
  facade: (i: number) => LoadRequest;
  direct: (i: number) => LoadRequest[];
}

/** 2,100 images and two variants besides the emulator's own; returns the image ids. */
export async function seed(
  emulator: Pick<EmulatorProcess, "origin" | "baseUrl" | "accountId" | "token">,
): Promise<string[]> {
  const admin = (path: string, body: unknown) =>
    fetch(`${emulator.origin}/__emulator${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++)
    ids.push(...((await (await admin("/images", { count: 700 })).json()) as { ids: string[] }).ids);
  for (const id of ["thumb", "hero"]) {
    await fetch(`${emulator.baseUrl}/accounts/${emulator.accountId}/images/v1/variants`, {
      method: "POST",
      headers: { authorization: `Bearer ${emulator.token}`, "content-type": "application/json" },
      body: JSON.stringify({ id, options: { fit: "cover", metadata: "none", width: 200, height: 200 } }),
    });
  }
  return ids;
}

export function scenarios(emulator: EmulatorProcess, ids: readonly string[]): Scenario[] {
  const api = `/client/v4/accounts/${emulator.accountId}/images`;
  const gql = (query: string): LoadRequest => ({
    method: "POST",
    path: "/graphql",
    headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify({ query }),
  });
  const rest = (path: string): LoadRequest => ({
    method: "GET",
    path: `${api}${path}`,
    headers: { authorization: `Bearer ${emulator.token}` },
  });
  const pick = (i: number) => ids[(i * 7919) % ids.length] as string;
  return [
    {
      name: "stats",
      singleCall: true,
      facade: () => gql("{ stats { current allowed remaining } }"),
      direct: () => [rest("/v1/stats")],
    },
    {
      name: "variants",
      singleCall: true,
      facade: () => gql("{ variants { name neverRequireSignedURLs options { fit metadata width height } } }"),
      direct: () => [rest("/v1/variants")],
    },
    {
      name: "signingKeys",
      singleCall: true,
      facade: () => gql("{ signingKeys { name value } }"),
      direct: () => [rest("/v1/keys")],
    },
    {
      name: "page of 100 with variants",
      singleCall: false,
      facade: () =>
        gql(
          "{ images(first: 100) { edges { node { imageId url variants { name url variant { options { width height fit } } } } } } }",
        ),
      direct: () => [rest("/v2?per_page=100"), rest("/v1/variants")],
    },
    {
      name: "20 aliased images (10 unique)",
      singleCall: false,
      facade: (i) =>
        gql(
          `{ ${Array.from({ length: 20 }, (_, k) => `a${k}: image(imageId: "${pick(i * 10 + (k % 10))}") { imageId url }`).join(" ")} }`,
        ),
      direct: (i) => Array.from({ length: 10 }, (_, k) => rest(`/v1/${pick(i * 10 + k)}`)),
    },
  ];
}
