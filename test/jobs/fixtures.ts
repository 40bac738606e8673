import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestEmulator } from "../support/emulator.ts";
import { postGraphQL, type ServerProcess, startServerProcess } from "../support/server-process.ts";

export const JOB_FIELDS = "id kind state total done failed skipped startedAt finishedAt";

export const DELETE_IMAGES = `mutation($input: DeleteImagesInput!) {
  deleteImages(input: $input) { dryRun matched sample { imageId creator } job { ${JOB_FIELDS} } }
}`;
export const UPDATE_IMAGES = `mutation($input: UpdateImagesInput!) {
  updateImages(input: $input) { dryRun matched job { ${JOB_FIELDS} } }
}`;
export const IMPORT_IMAGES = `mutation($input: ImportImagesInput!) {
  importImages(input: $input) { dryRun matched job { ${JOB_FIELDS} } }
}`;
export const BULK_JOB = `query($id: ID!) {
  bulkJob(id: $id) { ${JOB_FIELDS} failures(first: 100) { edges { node { item imageId url code message } } } }
}`;
export const CANCEL = `mutation($id: ID!) { cancelBulkJob(input: { id: $id }) { job { ${JOB_FIELDS} } } }`;

export interface JobView {
  id: string;
  kind: string;
  state: string;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  startedAt: string | null;
  finishedAt: string | null;
  failures?: { edges: { node: { item: string; imageId: string | null; url: string | null; code: string } }[] };
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "bulk-jobs-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The server as a process with the catalogue on and durable, the batch host on (its 200 a second
 * per token), and short leases, so a process killed mid-job leaves items that a restart takes again
 * within two seconds.
 */
export function startJobServer(emulator: TestEmulator, env: Record<string, string>): Promise<ServerProcess> {
  return startServerProcess(emulator, {
    UPSTREAM_BATCH: "auto",
    CATALOGUE: "on",
    CATALOGUE_DELTA_SECONDS: "0",
    BULK_LEASE_SECONDS: "2",
    BULK_HEARTBEAT_SECONDS: "1",
    BULK_POLL_MS: "100",
    BULK_RETRY_BASE_DELAY_MS: "50",
    ...env,
  });
}

export async function gql<T = Record<string, unknown>>(
  server: ServerProcess,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  return (await postGraphQL<T>(server.origin, query, variables, { headers })).body;
}

export async function waitFor<T>(
  read: () => Promise<T>,
  until: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!until(value)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

export async function catalogueReady(server: ServerProcess): Promise<void> {
  await waitFor(
    async () =>
      (await gql<{ catalogue: { status: string } }>(server, "{ catalogue { status } }")).data?.catalogue.status,
    (status) => status === "READY",
    "the catalogue",
  );
}

export async function jobOf(server: ServerProcess, id: string, headers: Record<string, string> = {}): Promise<JobView> {
  const answer = await gql<{ bulkJob: JobView }>(server, BULK_JOB, { id }, headers);
  if (!answer.data?.bulkJob) throw new Error(`bulkJob answered ${JSON.stringify(answer)}`);
  return answer.data.bulkJob;
}

export const finished = (job: JobView) => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(job.state);

/** Every image the emulator holds now, by id (the v2 list, read past the server). */
export async function upstreamImages(
  emulator: TestEmulator,
): Promise<Map<string, { id: string; creator: string | null; meta: Record<string, unknown> }>> {
  const all = new Map<string, { id: string; creator: string | null; meta: Record<string, unknown> }>();
  let token: string | null = null;
  do {
    const query: string = token ? `&continuation_token=${token}` : "";
    const answer = await emulator.api<{
      images: { id: string; creator: string | null; meta: Record<string, unknown> }[];
      continuation_token: string | null;
    }>("GET", `/v2?per_page=10000${query}`);
    for (const image of answer.body.result.images) all.set(image.id, image);
    token = answer.body.result.continuation_token;
  } while (token);
  return all;
}

export async function seed(
  emulator: TestEmulator,
  body: { count: number; creator?: string; meta?: Record<string, unknown> },
): Promise<string[]> {
  const response = await emulator.admin("POST", "/images", body);
  if (!response.ok) throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { ids: string[] }).ids;
}
