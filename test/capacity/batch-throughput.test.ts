import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "../support/emulator.ts";
import { closeReplicas, type Replica, startReplicas, upstreamStatuses } from "../support/replicas.ts";

const READS_PER_REQUEST = 5;
const REQUESTS_PER_SECOND = 30;
const SECONDS = 3;

let emulator: TestEmulator;
let replicas: Replica[];
let ids: string[];

beforeAll(async () => {
  // A global window far too small for the load: only the batch host can carry it.
  emulator = await startTestEmulator({
    rateLimit: { limit: 60, windowSeconds: 60, blockSeconds: 60, batchPerSecond: 200 },
  });
  const created = await emulator.admin("POST", "/images", { count: READS_PER_REQUEST * REQUESTS_PER_SECOND * SECONDS });
  ids = ((await created.json()) as { ids: string[] }).ids;
  replicas = await startReplicas(emulator, 1, { UPSTREAM_BUDGET: "50", UPSTREAM_BUDGET_WINDOW_SECONDS: "60" });
});
afterAll(async () => {
  await closeReplicas(replicas);
  await emulator.close();
});

function query(batch: readonly string[]): string {
  return `{ ${batch.map((id, i) => `i${i}: image(imageId: "${id}") { imageId }`).join(" ")} }`;
}

it("serves 150 distinct image reads a second on the batch host with no 429 and no global call", async () => {
  const [replica] = replicas;
  if (!replica) throw new Error("no replica");
  await emulator.reset();
  const started = performance.now();
  const sends: Promise<boolean>[] = [];
  for (let i = 0; i * READS_PER_REQUEST < ids.length; i++) {
    const due = started + (i * 1000) / REQUESTS_PER_SECOND;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const batch = ids.slice(i * READS_PER_REQUEST, (i + 1) * READS_PER_REQUEST);
    sends.push(
      replica
        .gql<Record<string, { imageId: string }>>(query(batch))
        .then(
          (answer) => answer.errors === undefined && batch.every((id, j) => answer.data?.[`i${j}`]?.imageId === id),
        ),
    );
  }
  const offeredSeconds = (performance.now() - started) / 1000;
  const results = await Promise.all(sends);
  expect(results.filter((ok) => !ok)).toHaveLength(0);
  // Sent on a 150-a-second schedule; the bound is loose because a busy machine sends late, never early.
  expect(ids.length / offeredSeconds).toBeGreaterThanOrEqual(100);
  const counts = await emulator.counts();
  expect(counts["GET /batch/images/v1/{image_id}"]).toBe(ids.length);
  expect(counts["GET /accounts/{account_id}/images/v1/{image_id}"]).toBeUndefined();
  expect(upstreamStatuses(replicas)[429]).toBeUndefined();
});

it("keeps a burst beyond 200 a second within the batch host's limit: waits or RATE_LIMITED, never a 429", async () => {
  const [replica] = replicas;
  if (!replica) throw new Error("no replica");
  await emulator.reset();
  replica.events.length = 0;
  const chunks = Array.from({ length: ids.length / READS_PER_REQUEST }, (_, i) =>
    ids.slice(i * READS_PER_REQUEST, (i + 1) * READS_PER_REQUEST),
  );
  const answers = await Promise.all(chunks.map((batch) => replica.gql<Record<string, unknown>>(query(batch))));
  const codes = answers.flatMap((answer) => (answer.errors ?? []).map((error) => error.extensions?.code));
  expect(codes.filter((code) => code !== "RATE_LIMITED")).toEqual([]);
  const served = answers.reduce((sum, answer) => sum + Object.values(answer.data ?? {}).filter(Boolean).length, 0);
  expect(served).toBeGreaterThan(200);
  expect(upstreamStatuses(replicas)[429]).toBeUndefined();
  expect((await emulator.counts())["GET /accounts/{account_id}/images/v1/{image_id}"]).toBeUndefined();
});
