import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Catalogue, CatalogueEvents } from "./catalogue.ts";

/** The catalogue's series on the app's registry: its size, its sweeps, its deltas, its lag. */
export function catalogueMetrics(registry: Registry, catalogue: () => Catalogue | undefined): CatalogueEvents {
  new Gauge({
    name: "catalogue_images",
    help: "Images in the catalogue (absent while it is off or its store cannot be reached).",
    registers: [registry],
    async collect() {
      const size = await catalogue()?.size();
      if (size !== null && size !== undefined) this.set(size);
    },
  });
  new Gauge({
    name: "catalogue_ready",
    help: "1 when the catalogue is READY, 0 while it syncs or its store is out of reach (absent when off).",
    registers: [registry],
    collect() {
      const status = catalogue()?.status();
      if (status && status !== "OFF") this.set(status === "READY" ? 1 : 0);
    },
  });
  new Gauge({
    name: "catalogue_sync_age_seconds",
    help: "Seconds since the catalogue last heard from the upstream (a sweep or a delta): the bound on how stale changes made elsewhere can be.",
    registers: [registry],
    collect() {
      const syncedAt = catalogue()?.syncState().syncedAt;
      if (syncedAt) this.set((Date.now() - syncedAt.getTime()) / 1000);
    },
  });
  const sweeps = new Histogram({
    name: "catalogue_sweep_duration_seconds",
    help: "Duration of full sweeps of the upstream list.",
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const sweepCalls = new Counter({
    name: "catalogue_sweep_upstream_calls_total",
    help: "Upstream list calls made by sweeps.",
    registers: [registry],
  });
  const deltas = new Histogram({
    name: "catalogue_delta_duration_seconds",
    help: "Duration of newest-first deltas.",
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  const deltaImages = new Counter({
    name: "catalogue_delta_images_total",
    help: "Images found by deltas that the catalogue did not know (uploaded elsewhere).",
    registers: [registry],
  });
  const writes = new Histogram({
    name: "catalogue_write_apply_seconds",
    help: "Time to apply one of this API's writes to the catalogue, before the mutation answers: its lag behind the write.",
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
    registers: [registry],
  });
  return {
    onSweep(result) {
      sweeps.observe(result.durationMs / 1000);
      sweepCalls.inc(result.calls);
    },
    onDelta(result, durationMs) {
      deltas.observe(durationMs / 1000);
      deltaImages.inc(result.added);
    },
    onWriteApplied(durationMs) {
      writes.observe(durationMs / 1000);
    },
  };
}
