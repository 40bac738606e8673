import { expect } from "vitest";
import type { TestEmulator } from "../support/emulator.ts";
import { uploaded } from "../support/images.ts";
import type { GraphQLAnswer } from "../support/server.ts";

type Gql = <T = Record<string, unknown>>(
  query: string,
  variables?: Record<string, unknown>,
) => Promise<GraphQLAnswer<T>>;

export const IMAGES = `
  query Images($search: String, $filter: ImageFilter, $orderBy: ImageOrder, $first: Int, $after: String, $last: Int, $before: String) {
    images(search: $search, filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges { cursor node { imageId filename creator } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

export interface ImagesAnswer {
  images: {
    totalCount: number;
    edges: { cursor: string; node: { imageId: string; filename: string | null; creator: string | null } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

/** Waits until the server's catalogue has completed a sweep (usable in hooks, where expect.poll is not). */
export async function catalogueReady(gql: Gql, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status: string | undefined;
  while (Date.now() < deadline) {
    status = (await gql<{ catalogue: { status: string } }>("{ catalogue { status } }")).data?.catalogue.status;
    if (status === "READY") return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the catalogue is still ${status} after ${timeoutMs} ms`);
}

/** Images uploaded straight to the emulator (as the dashboard would), with these filenames and fields. */
export async function uploadAll(
  emulator: TestEmulator,
  images: readonly { name: string; creator?: string; metadata?: Record<string, unknown> }[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const image of images) {
    const fields: Record<string, string> = {};
    if (image.creator) fields.creator = image.creator;
    if (image.metadata) fields.metadata = JSON.stringify(image.metadata);
    const { pngPart } = await import("../support/images.ts");
    ids.push((await uploaded(emulator, fields, pngPart(image.name))).id);
  }
  return ids;
}

export async function images(gql: Gql, variables: Record<string, unknown>): Promise<ImagesAnswer["images"]> {
  const answer = await gql<ImagesAnswer>(IMAGES, variables);
  expect(answer.errors).toBeUndefined();
  return (answer.data as ImagesAnswer).images;
}

export function names(connection: ImagesAnswer["images"]): (string | null)[] {
  return connection.edges.map((e) => e.node.filename);
}
