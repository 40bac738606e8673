import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { useInProcessStack } from "../support/in-process.ts";

const IMAGE_ROUTE = "/accounts/{account_id}/images/v1/{image_id}";
const GET_IMAGE = `GET ${IMAGE_ROUTE}`;
const LIST_VARIANTS = "GET /accounts/{account_id}/images/v1/variants";

const ENTITIES = /* GraphQL */ `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      __typename
      ... on Image { id imageId filename }
      ... on Variant { id name options { width } }
    }
  }
`;

type Entity = { __typename: string; id: string; imageId?: string; name?: string } | null;
type Representation = Record<string, unknown>;

let ids: string[];

const stack = useInProcessStack({ resetEmulatorBeforeEach: true });
beforeAll(async () => {
  const response = await stack.emulator.admin("POST", "/images", { count: 10 });
  ids = ((await response.json()) as { ids: string[] }).ids;
  await stack.emulator.api("POST", "/v1/variants", {
    json: { id: "thumb", options: { fit: "cover", metadata: "none", width: 100, height: 100 } },
  });
});

const entities = (representations: Representation[]) =>
  stack.gql<{ _entities: Entity[] }>(ENTITIES, { representations }, {}, "/subgraph");
const image = (imageId: string) => ({ __typename: "Image", imageId });
const variant = (name: string) => ({ __typename: "Variant", name });

describe("the subgraph's federation fields", () => {
  it("serves `_service { sdl }` exactly as committed in schema/subgraph.graphql, with federation v2 keys", async () => {
    const answer = await stack.gql<{ _service: { sdl: string } }>("{ _service { sdl } }", {}, {}, "/subgraph");
    expect(answer.errors).toBeUndefined();
    const sdl = answer.data?._service.sdl ?? "";
    expect(`${sdl}\n`).toBe(await readFile(new URL("../../schema/subgraph.graphql", import.meta.url), "utf8"));
    expect(sdl).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
    expect(sdl).toMatch(/type Image implements Node\s+@key\(fields: "imageId"\)/);
    expect(sdl).toMatch(/type Variant implements Node\s+@key\(fields: "name"\)/);
  });

  it("resolves 60 mixed references in order with one call per distinct image and one variants call", async () => {
    const representations = Array.from({ length: 60 }, (_, i) =>
      i % 2 === 0 ? image(ids[(i / 2) % 10] as string) : variant(i % 4 === 1 ? "public" : "thumb"),
    );
    const answer = await entities(representations);
    expect(answer.errors).toBeUndefined();
    const slots = answer.data?._entities ?? [];
    expect(slots).toHaveLength(60);
    slots.forEach((slot, i) => {
      const wanted = representations[i] as Representation;
      expect(slot?.__typename).toBe(wanted.__typename);
      if (wanted.__typename === "Image") expect(slot?.imageId).toBe(wanted.imageId);
      else expect(slot?.name).toBe(wanted.name);
    });
    const counts = await stack.emulator.counts();
    expect(counts[GET_IMAGE]).toBeLessThanOrEqual(10);
    expect(counts[LIST_VARIANTS]).toBe(1);
  });

  it("answers a bad or unknown reference with null in its own slot and an error at that slot's path", async () => {
    const representations = [
      image(ids[0] as string),
      image("no-such-image"),
      variant("public"),
      variant("no-such-variant"),
      { __typename: "Image" },
      image(ids[1] as string),
    ];
    const answer = await entities(representations);
    expect(answer.status).toBe(200);
    const slots = answer.data?._entities ?? [];
    expect(slots.map((s) => s?.imageId ?? s?.name ?? null)).toEqual([ids[0], null, "public", null, null, ids[1]]);
    const errors = [...(answer.errors ?? [])].sort((a, b) => Number(a.path?.[1]) - Number(b.path?.[1]));
    expect(errors.map((e) => [e.path, e.extensions?.code])).toEqual([
      [["_entities", 1], "NOT_FOUND"],
      [["_entities", 3], "NOT_FOUND"],
      [["_entities", 4], "BAD_USER_INPUT"],
    ]);
  });

  it("keeps an upstream failure of one image to that image's slot", async () => {
    await stack.emulator.admin("POST", "/faults", {
      method: "GET",
      route: IMAGE_ROUTE,
      count: 1,
      status: 403,
      errors: [{ code: 10000, message: "Authentication error" }],
    });
    const answer = await entities(ids.slice(0, 5).map(image));
    const slots = answer.data?._entities ?? [];
    expect(slots).toHaveLength(5);
    expect(slots.filter((s) => s === null)).toHaveLength(1);
    expect(answer.errors).toHaveLength(1);
    const failed = slots.indexOf(null);
    expect(answer.errors?.[0]?.path).toEqual(["_entities", failed]);
    expect(answer.errors?.[0]?.extensions?.code).toBe("UPSTREAM_ERROR");
  });

  it("keeps Relay working: an entity's global id is the one `node` and `nodes` resolve", async () => {
    const viaEntities = await entities([image(ids[2] as string), variant("thumb")]);
    const [img, thumb] = viaEntities.data?._entities ?? [];
    const viaNode = await stack.gql<{ node: { imageId: string }; nodes: { name: string }[] }>(
      `query ($a: ID!, $b: [ID!]!) {
        node(id: $a) { ... on Image { imageId } }
        nodes(ids: $b) { ... on Variant { name } }
      }`,
      { a: img?.id, b: [thumb?.id] },
    );
    expect(viaNode.errors).toBeUndefined();
    expect(viaNode.data).toEqual({ node: { imageId: ids[2] }, nodes: [{ name: "thumb" }] });
  });
});
