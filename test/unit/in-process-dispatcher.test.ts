import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessTestEmulator } from "../support/emulator.ts";
import { InProcessDispatcher } from "../support/in-process-dispatcher.ts";

const IMAGE_ROUTE = "/accounts/{account_id}/images/v1/{image_id}";

let emulator: Awaited<ReturnType<typeof createInProcessTestEmulator>>;
let dispatcher: InProcessDispatcher;
let imageId: string;

beforeAll(async () => {
  emulator = await createInProcessTestEmulator();
  dispatcher = new InProcessDispatcher(emulator.origin, emulator.fetch);
  imageId = ((await (await emulator.admin("POST", "/images", { count: 1 })).json()) as { ids: string[] })
    .ids[0] as string;
});
afterAll(() => dispatcher.close());

const imagePath = () => `/client/v4/accounts/${emulator.accountId}/images/v1/${encodeURIComponent(imageId)}`;
const auth = () => ({ authorization: `Bearer ${emulator.token}` });

describe("the in-process dispatcher", () => {
  it("hands a request to the emulator's own handler, which counts it and answers with its envelope", async () => {
    await emulator.reset();
    const response = await dispatcher.request({ method: "GET", path: imagePath(), headers: auth() });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/application\/json/);
    expect(((await response.body.json()) as { result: { id: string } }).result.id).toBe(imageId);
    expect(await emulator.counts()).toEqual({ [`GET ${IMAGE_ROUTE}`]: 1 });
  });

  it("sends a request body, and the emulator applies it", async () => {
    const response = await dispatcher.request({
      method: "PATCH",
      path: imagePath(),
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify({ metadata: { album: "in-process" } }),
    });
    expect(response.statusCode).toBe(200);
    await response.body.dump();
    const stored = await emulator.api<{ meta: unknown }>("GET", `/v1/${encodeURIComponent(imageId)}`);
    expect(stored.body.result.meta).toEqual({ album: "in-process" });
  });

  it("fails a connection the emulator drops as a closed socket does", async () => {
    await emulator.admin("POST", "/faults", { method: "GET", route: IMAGE_ROUTE, count: 1, drop: true });
    await expect(dispatcher.request({ method: "GET", path: imagePath(), headers: auth() })).rejects.toMatchObject({
      code: "UND_ERR_SOCKET",
    });
  });

  it("rejects an aborted request while the emulator is still waiting, not once it answers", async () => {
    // Longer than the test's timeout: the request must end on the abort, not on the emulator's answer.
    await emulator.admin("POST", "/latency", { ms: 60_000, route: IMAGE_ROUTE, method: "GET" });
    const controller = new AbortController();
    const pending = dispatcher.request({
      method: "GET",
      path: imagePath(),
      headers: auth(),
      signal: controller.signal,
    });
    controller.abort(new Error("the caller went away"));
    await expect(pending).rejects.toThrow("the caller went away");
    await emulator.reset();
  });
});
