import { request, subscribe } from "./graphql.js";

// "Delete selected": one bulk job for every tile ticked, its progress over SSE, then the grid updates.
const DELETE = `mutation GalleryDeleteSelected($input: DeleteImagesInput!) {
  deleteImages(input: $input) { job { id state total done failed skipped } }
}`;
const PROGRESS = `subscription GalleryBulkProgress($id: ID!) {
  bulkJobProgress(id: $id) { id state total done failed skipped }
}`;
const FAILURES = `query GalleryBulkFailures($id: ID!) {
  bulkJob(id: $id) { failures(first: 100) { edges { node { imageId message } } } }
}`;
const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

const $ = (id) => document.getElementById(id);

function status(text, percent) {
  $("bulk").hidden = false;
  $("bulk-status").textContent = text;
  if (percent !== undefined) $("bulk-progress").value = percent;
}

function settled(job) {
  return job.done + job.failed + job.skipped;
}

/** Ticks on the tiles of `grid` (inputs `.select`) choose what goes; `cards` maps ids to their tiles. */
export function setupBulkDelete(grid, cards) {
  const button = $("delete-selected");
  const selected = () => [...grid.querySelectorAll("input.select:checked")].map((box) => box.value);
  const refresh = () => {
    const count = selected().length;
    button.disabled = count === 0;
    button.textContent = count ? `Delete selected (${count})` : "Delete selected";
  };
  grid.addEventListener("change", (event) => {
    if (event.target.matches("input.select")) refresh();
  });

  button.addEventListener("click", async () => {
    const imageIds = selected();
    if (imageIds.length === 0) return;
    button.disabled = true;
    status(`Deleting ${imageIds.length} images…`, 0);
    const controller = new AbortController();
    try {
      const { data } = await request(DELETE, { input: { imageIds } });
      let job = data.deleteImages.job;
      await subscribe(
        PROGRESS,
        { id: job.id },
        (result) => {
          if (!result.data?.bulkJobProgress) return;
          job = result.data.bulkJobProgress;
          status(`${settled(job)} of ${job.total} done`, Math.round((settled(job) / job.total) * 100));
        },
        controller.signal,
      );
      if (!FINAL.has(job.state)) throw new Error("the progress stream ended early");
      const failures = (await request(FAILURES, { id: job.id })).data.bulkJob.failures.edges.map((e) => e.node);
      const kept = new Set(failures.map((f) => f.imageId));
      for (const id of imageIds) {
        if (kept.has(id)) continue;
        cards.get(id)?.remove();
        cards.delete(id);
      }
      status(
        failures.length
          ? `Deleted ${job.done}; ${failures.length} failed: ${failures[0].message}`
          : `Deleted ${job.done} images.`,
        100,
      );
    } catch (error) {
      status(`Delete failed: ${error.message}`);
    } finally {
      controller.abort();
      refresh();
    }
  });
  refresh();
}
