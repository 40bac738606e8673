import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createImagesApi, type Transport } from "../../src/upstream/index.ts";
import { READS, seedImages } from "../support/cache.ts";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { testTransport } from "../support/transport.ts";

let emulator: TestEmulator;
let transport: Transport;

beforeAll(async () => {
  emulator = await startTestEmulator();
  transport = testTransport(emulator.baseUrl, { connections: 4 });
});
afterAll(async () => {
  await transport.close();
  await emulator.close();
});

// The entity cache tags each read with the versions it saw first: a reader who has seen a write
// (on another replica, where this process's own clearing of calls in flight cannot help) starts anew.
describe("coalescing of identical GETs by the entity cache's tag", () => {
  it("shares one call between reads of the same tag, and none between reads of different tags", async () => {
    const [id] = (await seedImages(emulator, 1)) as [string];
    const api = createImagesApi(transport, emulator.accountId, emulator.token);
    await emulator.reset();
    await emulator.admin("POST", "/latency", { ms: 300, route: "/accounts/{account_id}/images/v1/{image_id}" });
    await Promise.all([api.images.get(id, { coalesceTag: "v1" }), api.images.get(id, { coalesceTag: "v1" })]);
    expect((await emulator.counts())[READS.image]).toBe(1);
    await Promise.all([api.images.get(id, { coalesceTag: "v1" }), api.images.get(id, { coalesceTag: "v2" })]);
    expect((await emulator.counts())[READS.image]).toBe(3);
  });
});
