import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { startTestStack, type TestStack } from "../support/server.ts";
import { startTokenRouter, type TokenRouter } from "../support/token-router.ts";

const ALICE = "alice-cloudflare-token";
const BOB = "bob-cloudflare-token";
const LIST = `{ images(first: 50) { edges { node { imageId creator } } } signingKeys { name value } }`;

interface Answer {
  images: { edges: { node: { imageId: string; creator: string | null } }[] };
  signingKeys: { name: string; value: string }[];
}

let stack: TestStack;
let alice: TestEmulator;
let bob: TestEmulator;
let router: TokenRouter;
const ids: Record<string, string[]> = {};

async function fill(emulator: TestEmulator, creator: string, count: number) {
  const response = await emulator.admin("POST", "/images", { count, creator });
  ids[creator] = ((await response.json()) as { ids: string[] }).ids;
}

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const creators = (answer: { data?: Answer | null }) => new Set(answer.data?.images.edges.map((e) => e.node.creator));
const imageIds = (answer: { data?: Answer | null }) => answer.data?.images.edges.map((e) => e.node.imageId).sort();

beforeAll(async () => {
  // Two accounts behind one upstream URL, as two Cloudflare tokens are: the server's own token is
  // Alice's, which a forwarding server must never use on a caller's behalf.
  router = await startTokenRouter();
  bob = await startTestEmulator({ token: BOB });
  stack = await startTestStack({
    emulator: { token: ALICE },
    env: { AUTH_MODE: "forward" },
    upstreamBaseUrl: router.baseUrl,
  });
  alice = stack.emulator;
  router.route(ALICE, alice.origin);
  router.route(BOB, bob.origin);
  router.fallback(alice.origin);
  await fill(alice, "alice", 3);
  await fill(bob, "bob", 4);
});
afterAll(async () => {
  await stack.close();
  await bob.close();
  await router.close();
});
beforeEach(async () => {
  await alice.reset();
  await bob.reset();
});

describe("AUTH_MODE=forward", () => {
  it("serves each caller from the account of the token it sent", async () => {
    const forAlice = await stack.gql<Answer>(LIST, undefined, as(ALICE));
    const forBob = await stack.gql<Answer>(LIST, undefined, as(BOB));
    expect(forAlice.errors).toBeUndefined();
    expect(forBob.errors).toBeUndefined();
    expect(imageIds(forAlice)).toEqual([...(ids.alice ?? [])].sort());
    expect(imageIds(forBob)).toEqual([...(ids.bob ?? [])].sort());
    expect(forAlice.data?.signingKeys[0]?.value).not.toBe(forBob.data?.signingKeys[0]?.value);
    expect(forBob.text).not.toContain(forAlice.data?.signingKeys[0]?.value);
  });

  it("never hands one token's in-flight answer to another, however the requests overlap", async () => {
    for (const emulator of [alice, bob]) {
      const response = await emulator.admin("POST", "/latency", { ms: 150 });
      expect(response.ok).toBe(true);
    }
    const tokens = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? ALICE : BOB));
    const answers = await Promise.all(tokens.map((token) => stack.gql<Answer>(LIST, undefined, as(token))));
    answers.forEach((answer, i) => {
      expect(answer.errors).toBeUndefined();
      expect(creators(answer)).toEqual(new Set([tokens[i] === ALICE ? "alice" : "bob"]));
    });
    // Each account was asked by its own token at least once: no caller rode on the other's call.
    expect((await alice.counts())["GET /accounts/{account_id}/images/v2"]).toBeGreaterThanOrEqual(1);
    expect((await bob.counts())["GET /accounts/{account_id}/images/v2"]).toBeGreaterThanOrEqual(1);
  });

  it("answers a request without a token with HTTP 401, and never falls back to the server's token", async () => {
    const answer = await stack.gql<Answer>(LIST);
    expect(answer.status).toBe(401);
    expect(answer.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await alice.counts()).toEqual({});
    expect(await bob.counts()).toEqual({});
  });

  it("answers a token the upstream refuses with HTTP 401 UNAUTHENTICATED, without echoing it", async () => {
    const answer = await stack.gql<Answer>(LIST, undefined, as("a-token-nobody-issued"));
    expect(answer.status).toBe(401);
    expect(answer.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(answer.text).not.toContain("a-token-nobody-issued");
    expect(answer.text).not.toContain(ALICE);
  });
});
