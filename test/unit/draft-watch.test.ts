import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type DraftOutcome, DraftWatch } from "../../src/live/index.ts";
import { createImagesApi, type Transport } from "../../src/upstream/index.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { imageForm } from "../support/images.ts";
import { testTransport } from "../support/transport.ts";

const GET_IMAGE = "GET /accounts/{account_id}/images/v1/{image_id}";

let emulator: TestEmulator;
let transport: Transport;

beforeAll(async () => {
  emulator = await startTestEmulator();
  transport = testTransport(emulator.baseUrl);
});
afterAll(async () => {
  await transport.close();
  await emulator.close();
});
beforeEach(() => emulator.reset());

const api = () => createImagesApi(transport, emulator.accountId, emulator.token);

async function draft(expiresAt: Date): Promise<string> {
  const form = imageForm({ expiry: expiresAt.toISOString() }, null);
  const answer = await emulator.api<{ id: string }>("POST", "/v2/direct_upload", { form });
  return answer.body.result.id;
}

function outcomeOf(watch: DraftWatch, imageId: string): Promise<DraftOutcome> {
  return new Promise((resolve) => watch.watch("", imageId, api(), resolve));
}

describe("DraftWatch against the emulator", () => {
  it("ends with UPLOAD_EXPIRED at the expiry this replica set, without waiting for the upstream to forget the draft", async () => {
    const expiresAt = new Date(Date.now() + 10 * 60_000);
    const imageId = await draft(expiresAt);
    // This replica's clock has reached the expiry; the emulator's still shows a live draft.
    const watch = new DraftWatch({ intervalMs: 250, maxIntervalMs: 250, now: () => Date.now() + 11 * 60_000 });
    watch.rememberExpiry(imageId, expiresAt);
    const outcome = await outcomeOf(watch, imageId);
    expect("error" in outcome && (outcome.error as { extensions?: unknown }).extensions).toEqual({
      code: "NOT_FOUND",
      reason: "UPLOAD_EXPIRED",
      imageId,
      expiresAt: expiresAt.toISOString(),
    });
    expect((await emulator.counts())[GET_IMAGE]).toBe(1);
    expect(watch.activeLoops).toBe(0);
  });

  it("backs off: the interval grows by half up to the maximum", async () => {
    const imageId = await draft(new Date(Date.now() + 10 * 60_000));
    const watch = new DraftWatch({ intervalMs: 250, maxIntervalMs: 1000 });
    const leave = watch.watch("", imageId, api(), () => undefined);
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    leave();
    const elapsed = Date.now() - started;
    const calls = (await emulator.counts())[GET_IMAGE] ?? 0;
    // Waits of 250, 375, 562, 843, then 1000 ms: about 6 looks in 3 s, against 12 at a fixed 250 ms.
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) + 5);
    expect(calls).toBeLessThan(10);
    expect(watch.activeLoops).toBe(0);
  });

  it("keeps separate loops for separate upstream tokens (forward mode)", async () => {
    const imageId = await draft(new Date(Date.now() + 10 * 60_000));
    const watch = new DraftWatch({ intervalMs: 60_000, maxIntervalMs: 60_000 });
    const leaveA = watch.watch("token-a", imageId, api(), () => undefined);
    const leaveB = watch.watch("token-b", imageId, api(), () => undefined);
    const leaveA2 = watch.watch("token-a", imageId, api(), () => undefined);
    expect(watch.activeLoops).toBe(2);
    leaveA();
    expect(watch.activeLoops).toBe(2);
    leaveA2();
    leaveB();
    expect(watch.activeLoops).toBe(0);
  });
});
