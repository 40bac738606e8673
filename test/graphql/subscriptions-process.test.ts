import type { ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { samplePng } from "../../src/emulator/samples/index.ts";
import { spawnServer } from "../support/spawn.ts";
import { subscribe } from "../support/sse.ts";

const GET_IMAGE = "GET /accounts/{account_id}/images/v1/{image_id}";
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
});

/** `src/main.ts` as a process, strict about unhandled rejections; resolves with its URLs. */
async function start() {
  const process_ = spawnServer({
    PORT: "0",
    HOST: "127.0.0.1",
    IMAGE_READY_POLL_INTERVAL_MS: "250",
    IMAGE_READY_POLL_MAX_INTERVAL_MS: "250",
  });
  child = process_;
  let output = "";
  for (const stream of [process_.stdout, process_.stderr]) stream?.on("data", (c: Buffer) => (output += c));
  const exited = new Promise<number | null>((resolve) => process_.once("exit", resolve));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const graphql = /GraphiQL: (\S+)/.exec(output)?.[1];
    const emulator = /emulator at (\S+?)\/client\/v4/.exec(output)?.[1];
    if (graphql && emulator) return { server: new URL(graphql), emulator, exited, output: () => output };
    if (Date.now() > deadline || process_.exitCode !== null) throw new Error(`did not start: ${output}`);
    await sleep(20);
  }
}

describe("subscriptions in the server process", () => {
  it("takes clients that go away in stride, stops polling for them, and still drains on SIGTERM", async () => {
    const app = await start();
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const response = await fetch(app.server, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data: Record<string, { image?: { imageId: string }; uploadURL?: string }> };
    };
    const calls = async () =>
      ((await (await fetch(`${app.emulator}/__emulator/requests`)).json()) as Record<string, number>)[GET_IMAGE] ?? 0;
    const created = await gql(
      `mutation { createDirectUpload(input: {}) { ... on CreateDirectUploadPayload { uploadURL image { imageId } } } }`,
    );
    const imageId = created.data.createDirectUpload?.image?.imageId;

    // Clients that leave mid-wait, some before the first event, some at once.
    for (let i = 0; i < 5; i++) {
      const ready = await subscribe(app.server, `subscription($id: ID!) { imageReady(imageId: $id) { imageId } }`, {
        id: imageId,
      });
      const changed = await subscribe(app.server, `subscription($id: ID!) { imageChanged(imageId: $id) { imageId } }`, {
        id: imageId,
      });
      await sleep(i * 100);
      ready.abort();
      changed.abort();
    }
    await sleep(1000);
    const settled = await calls();
    await sleep(1500);
    expect(await calls()).toBe(settled);

    // One more waits; the file arrives; it gets its event.
    const waiting = await subscribe(app.server, `subscription($id: ID!) { imageReady(imageId: $id) { filename } }`, {
      id: imageId,
    });
    const form = new FormData();
    form.append("file", new Blob([samplePng(4, 4)], { type: "image/png" }), "late.png");
    await fetch(created.data.createDirectUpload?.uploadURL ?? "", { method: "POST", body: form });
    expect(await waiting.next()).toEqual({ data: { imageReady: { filename: "late.png" } } });

    // A subscription still open at SIGTERM is completed, and the process exits cleanly.
    const open = await subscribe(app.server, `subscription($id: ID!) { imageChanged(imageId: $id) { imageId } }`, {
      id: imageId,
    });
    child?.kill("SIGTERM");
    expect(await open.next()).toBe("end");
    expect(await app.exited).toBe(0);
    expect(app.output()).not.toMatch(/unhandled|Unhandled|TypeError|ERR_/);
  }, 60_000);
});
