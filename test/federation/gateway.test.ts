import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type CountingProxy,
  composeSupergraph,
  type Gateway,
  graphqlUrl,
  type Listening,
  type Profile,
  postGraphQL,
  profilesSdl,
  startCountingProxy,
  startGateway,
  startProfilesSubgraph,
  subgraphUrl,
} from "../support/federation.ts";
import { startTestStack, type TestStack } from "../support/server.ts";

const GET_IMAGE = "GET /accounts/{account_id}/images/v1/{image_id}";
const LIST_VARIANTS = "GET /accounts/{account_id}/images/v1/variants";
const MISSING_AT = 17;

const AVATAR_FIELDS = "imageId filename creator meta uploaded requireSignedURLs url variants { name url }";
const BANNER_FIELDS = "name neverRequireSignedURLs options { fit width height }";
const PROFILES = /* GraphQL */ `
  query ($group: String!) {
    profiles(group: $group) { id name avatar { ${AVATAR_FIELDS} } banner { ${BANNER_FIELDS} } }
  }
`;

interface ProfileAnswer {
  id: string;
  avatar: ({ imageId: string } & Record<string, unknown>) | null;
  banner: ({ name: string } & Record<string, unknown>) | null;
}

let stack: TestStack;
let profiles: Listening;
let proxy: CountingProxy;
let gateway: Gateway;
let supergraph: string;
let groups: Record<string, Profile[]>;

beforeAll(async () => {
  stack = await startTestStack();
  const created = await stack.emulator.admin("POST", "/images", { count: 20, creator: "team-a" });
  const ids = ((await created.json()) as { ids: string[] }).ids;
  await stack.emulator.api("POST", "/v1/variants", {
    json: { id: "banner", options: { fit: "cover", metadata: "none", width: 1500, height: 500 } },
  });
  const profile = (i: number, avatarImageId: string): Profile => ({
    id: `profile-${i}`,
    name: `Person ${i}`,
    avatarImageId,
    bannerVariant: i % 3 === 0 ? "public" : "banner",
  });
  groups = {
    twenty: Array.from({ length: 50 }, (_, i) => profile(i, ids[i % 20] as string)),
    oneMissing: Array.from({ length: 50 }, (_, i) =>
      profile(i, i === MISSING_AT ? "no-such-image" : (ids[i % 20] as string)),
    ),
  };

  profiles = await startProfilesSubgraph(groups);
  proxy = await startCountingProxy(subgraphUrl(stack.server));
  const service = await postGraphQL<{ _service: { sdl: string } }>(subgraphUrl(stack.server), "{ _service { sdl } }");
  supergraph = composeSupergraph([
    { name: "images", url: graphqlUrl(proxy), sdl: service.data?._service.sdl ?? "" },
    { name: "profiles", url: graphqlUrl(profiles), sdl: profilesSdl },
  ]);
  gateway = await startGateway(supergraph);
});
afterAll(async () => {
  await gateway?.close();
  await proxy?.close();
  await profiles?.close();
  await stack?.close();
});
beforeEach(async () => {
  await stack.emulator.reset();
  proxy.documents.length = 0;
});

const viaGateway = (group: string) =>
  postGraphQL<{ profiles: ProfileAnswer[] }>(graphqlUrl(gateway), PROFILES, { group });

/** What our subgraph answers to the same references when asked directly, as a gateway would. */
async function direct(group: string) {
  const representations = (groups[group] ?? []).flatMap((p) => [
    { __typename: "Image", imageId: p.avatarImageId },
    { __typename: "Variant", name: p.bannerVariant },
  ]);
  return postGraphQL<{ _entities: (Record<string, unknown> | null)[] }>(
    subgraphUrl(stack.server),
    `query ($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Image { ${AVATAR_FIELDS} } ... on Variant { ${BANNER_FIELDS} } }
    }`,
    { representations },
  );
}

const entityRequests = () => proxy.documents.filter((d) => d.includes("_entities"));

describe("through a real gateway, composed with a profiles subgraph", () => {
  it("composes into a supergraph where Image and Variant are entities keyed on imageId and name", () => {
    expect(supergraph).toMatch(/type Image[^{]*@join__type\(graph: IMAGES, key: "imageId"\)/);
    expect(supergraph).toMatch(/type Variant[^{]*@join__type\(graph: IMAGES, key: "name"\)/);
    expect(supergraph).toMatch(/type Image[^{]*@join__type\(graph: PROFILES, key: "imageId", resolvable: false\)/);
  });

  it("answers 50 profiles over 20 images with one `_entities` request and at most 20 image calls", async () => {
    const answer = await viaGateway("twenty");
    expect(answer.errors).toBeUndefined();
    const answered = answer.data?.profiles ?? [];
    expect(answered).toHaveLength(50);
    answered.forEach((p, i) => {
      const wanted = groups.twenty?.[i] as Profile;
      expect(p.id).toBe(wanted.id);
      expect(p.avatar?.imageId).toBe(wanted.avatarImageId);
      expect(p.avatar?.creator).toBe("team-a");
      expect(p.banner?.name).toBe(wanted.bannerVariant);
    });
    expect(entityRequests()).toHaveLength(1);
    const counts = await stack.emulator.counts();
    expect(counts[GET_IMAGE]).toBeGreaterThan(0);
    expect(counts[GET_IMAGE]).toBeLessThanOrEqual(20);
    expect(counts[LIST_VARIANTS]).toBe(1);
    expect(Object.keys(counts).sort()).toEqual([LIST_VARIANTS, GET_IMAGE].sort());
    expect(gateway.warnings).toEqual([]);
  });

  it("gives an unknown image a null avatar and a NOT_FOUND error at its path while the other 49 resolve", async () => {
    const answer = await viaGateway("oneMissing");
    const answered = answer.data?.profiles ?? [];
    expect(answered).toHaveLength(50);
    expect(answered[MISSING_AT]?.avatar).toBeNull();
    expect(answered[MISSING_AT]?.banner?.name).toBe(groups.oneMissing?.[MISSING_AT]?.bannerVariant);
    expect(answered.filter((p) => p.avatar !== null)).toHaveLength(49);
    expect(answer.errors?.length).toBeGreaterThan(0);
    for (const error of answer.errors ?? []) {
      expect(error.path?.slice(0, 3)).toEqual(["profiles", MISSING_AT, "avatar"]);
      expect(error.extensions?.code).toBe("NOT_FOUND");
    }
    expect(entityRequests()).toHaveLength(1);
    expect((await stack.emulator.counts())[GET_IMAGE]).toBeLessThanOrEqual(21);

    const subgraph = await direct("oneMissing");
    expect(subgraph.errors?.map((e) => e.path)).toEqual([["_entities", MISSING_AT * 2]]);
  });

  it("answers what the subgraph answers to the same references directly", async () => {
    for (const group of ["twenty", "oneMissing"]) {
      const [answer, subgraph] = [await viaGateway(group), await direct(group)];
      const slots = subgraph.data?._entities ?? [];
      expect(slots).toHaveLength(100);
      const fromGateway = (answer.data?.profiles ?? []).flatMap((p) => [p.avatar, p.banner]);
      expect(fromGateway).toEqual(slots);
    }
  });
});
