import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { png } from "../support/facts-files.ts";
import { uploaded } from "../support/images.ts";
import { startTestStack, type TestStack } from "../support/server.ts";
import { startTokenRouter, type TokenRouter } from "../support/token-router.ts";

const ALICE = "alice-cloudflare-token";
const BOB = "bob-cloudflare-token";
const BLOB = "GET /accounts/{account_id}/images/v1/{image_id}/blob";
const READ = `query ($id: ID!) { image(imageId: $id) { width height factsStatus } }`;

let stack: TestStack;
let alice: TestEmulator;
let bob: TestEmulator;
let router: TokenRouter;

beforeAll(async () => {
  // Two accounts behind one upstream URL, as two Cloudflare tokens are.
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
});
afterAll(async () => {
  await stack.close();
  await bob.close();
  await router.close();
});

async function settled(token: string, id: string): Promise<{ width: number; height: number }> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const answer = await stack.gql<{ image: { width: number; height: number; factsStatus: string } }>(
      READ,
      { id },
      { authorization: `Bearer ${token}` },
    );
    if (answer.data?.image.factsStatus === "READY") return answer.data.image;
    await sleep(25);
  }
  throw new Error("facts never came");
}

describe("facts in AUTH_MODE=forward", () => {
  it("are kept per token, and each caller's image is downloaded with its own token", async () => {
    const a = await png(30, 20);
    const b = await png(64, 16);
    await uploaded(alice, { id: "shared/pic" }, { bytes: a.bytes, name: "pic.png", type: "image/png" });
    await uploaded(bob, { id: "shared/pic" }, { bytes: b.bytes, name: "pic.png", type: "image/png" });
    await alice.reset();
    await bob.reset();
    expect(await settled(ALICE, "shared/pic")).toMatchObject({ width: 30, height: 20 });
    expect(await settled(BOB, "shared/pic")).toMatchObject({ width: 64, height: 16 });
    expect((await alice.counts())[BLOB]).toBe(1);
    expect((await bob.counts())[BLOB]).toBe(1);
  });
});
