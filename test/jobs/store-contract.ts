import { expect, it } from "vitest";
import type { NewItem } from "../../src/jobs/model.ts";
import type { JobStore } from "../../src/jobs/store.ts";

const LEASE = 1000;

function items(n: number): NewItem[] {
  return Array.from({ length: n }, (_, i) => ({ imageId: `image-${i}`, known: true }));
}

/** The same leases, heartbeats and counts over node:sqlite and PostgreSQL. */
export function jobStoreContract(open: () => Promise<JobStore>): void {
  it("hands each item to one runner at a time, and takes it again once its lease runs out", async () => {
    const store = await open();
    await store.create({
      id: "job-1",
      tenant: "t",
      operation: { kind: "DELETE" },
      items: items(10),
      createdAt: new Date(1000),
    });
    const now = 10_000;
    const [first, second] = await Promise.all([store.claim("a", 6, now, LEASE), store.claim("b", 6, now, LEASE)]);
    const positions = [...first, ...second].map((item) => item.position).sort((x, y) => x - y);
    expect(positions).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await store.get("t", "job-1"))?.state).toBe("RUNNING");

    // "a" lives (its heartbeat renews), "b" died: only b's items are free after the lease.
    expect(await store.heartbeat("a", now + LEASE / 2, LEASE)).toBe(first.length);
    const retaken = await store.claim("c", 10, now + LEASE + 1, LEASE);
    expect(retaken.map((item) => item.position).sort()).toEqual(second.map((item) => item.position).sort());
    expect(retaken.every((item) => item.attempts === 2)).toBe(true);

    // b comes back to settle what c now holds: ignored, so nothing counts twice.
    for (const item of second) await store.settle("b", item, { state: "DONE" }, now);
    expect((await store.get("t", "job-1"))?.done).toBe(0);
    for (const item of [...first.slice(1)]) await store.settle("a", item, { state: "DONE" }, now);
    for (const item of retaken) await store.settle("c", item, { state: "DONE" }, now);
    expect(await store.finishCompleted(now)).toEqual([]);
    await store.settle(
      "a",
      first[0] as (typeof first)[number],
      { state: "FAILED", code: "NOT_FOUND", message: "gone" },
      now,
    );
    expect(await store.finishCompleted(now + 1)).toEqual(["job-1"]);
    expect(await store.get("t", "job-1")).toMatchObject({ state: "FAILED", total: 10, done: 9, failed: 1, skipped: 0 });
    expect(await store.failures("job-1", 10)).toEqual([
      {
        position: first[0]?.position,
        imageId: `image-${first[0]?.position}`,
        url: null,
        code: "NOT_FOUND",
        message: "gone",
      },
    ]);
    await store.close();
  });

  it("gives back an item untried after a 429, counts a maybe-applied try, and honours the back-off", async () => {
    const store = await open();
    await store.create({
      id: "job-2",
      tenant: "t",
      operation: { kind: "DELETE" },
      items: items(1),
      createdAt: new Date(1),
    });
    const [item] = await store.claim("a", 1, 100, LEASE);
    await store.release("a", item as NonNullable<typeof item>, 600, false);
    expect(await store.claim("a", 1, 500, LEASE)).toEqual([]);
    const [again] = await store.claim("a", 1, 601, LEASE);
    expect(again?.attempts).toBe(1);
    await store.release("a", again as NonNullable<typeof again>, 0, true);
    expect((await store.claim("a", 1, 700, LEASE))[0]?.attempts).toBe(2);
    await store.close();
  });

  it("shows a job only to its tenant, cancels only an unfinished one, and stops handing out its items", async () => {
    const store = await open();
    await store.create({
      id: "job-3",
      tenant: "alice",
      operation: { kind: "DELETE" },
      items: items(3),
      createdAt: new Date(5),
    });
    await store.create({
      id: "job-4",
      tenant: "alice",
      operation: { kind: "DELETE" },
      items: items(1),
      createdAt: new Date(6),
    });
    expect(await store.get("bob", "job-3")).toBeUndefined();
    expect(await store.cancel("bob", "job-3", new Date(7))).toBeUndefined();
    expect((await store.list("alice", 10)).map((job) => job.id)).toEqual(["job-4", "job-3"]);
    expect((await store.list("alice", 1, { createdAt: 6, id: "job-4" })).map((job) => job.id)).toEqual(["job-3"]);
    expect(await store.list("bob", 10)).toEqual([]);

    expect((await store.cancel("alice", "job-3", new Date(7)))?.state).toBe("CANCELLED");
    const claimed = await store.claim("a", 10, 100, LEASE);
    expect(claimed.map((item) => item.jobId)).toEqual(["job-4"]);
    await store.settle("a", claimed[0] as (typeof claimed)[number], { state: "SKIPPED" }, 100);
    await store.finishCompleted(101);
    expect(await store.cancel("alice", "job-4", new Date(200))).toMatchObject({ state: "SUCCEEDED", skipped: 1 });
    await store.close();
  });
}
