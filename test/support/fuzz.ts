import { Pool } from "undici";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { FIRM_CODES } from "./contract.ts";
import { type FuzzContext, type HostileRequest, hostileRequests } from "./hostile-requests.ts";

export interface FuzzReport {
  requests: number;
  /** Answers by status, per kind of request. */
  statuses: Record<string, Record<number, number>>;
  /** Answers of 500 or more, errors without a contract code, requests that got no answer. */
  failures: string[];
  dataUnchanged: boolean;
}

/** Everything a request could change, read straight from the emulator. */
export async function accountSnapshot(emulator: RunningEmulator): Promise<string> {
  const read = async (path: string) => {
    const response = await fetch(`${emulator.baseUrl}/accounts/${emulator.accountId}/images${path}`, {
      headers: { authorization: `Bearer ${emulator.token}` },
    });
    return ((await response.json()) as { result: unknown }).result;
  };
  return JSON.stringify([await read("/v2?per_page=10000"), await read("/v1/variants"), await read("/v1/keys")]);
}

/** What the generator needs: ids that exist and a real cursor, asked of the server itself. */
export async function fuzzContext(origin: string, emulator: RunningEmulator): Promise<FuzzContext> {
  const response = await fetch(`${origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ images(first: 20) { edges { cursor node { imageId } } } }" }),
  });
  const body = (await response.json()) as {
    data: { images: { edges: { cursor: string; node: { imageId: string } }[] } };
  };
  const edges = body.data.images.edges;
  if (edges.length === 0) throw new Error(`the account at ${emulator.baseUrl} has no images to fuzz with`);
  return { imageIds: edges.map((e) => e.node.imageId), cursor: (edges[2] ?? edges[0])?.cursor as string };
}

/** Sends `count` hostile requests from `seed`, `concurrency` at a time, and checks every answer and the data. */
export async function runFuzz(
  origin: string,
  emulator: RunningEmulator,
  options: { seed: number; count: number; concurrency: number },
): Promise<FuzzReport> {
  const before = await accountSnapshot(emulator);
  const requests = hostileRequests(options.seed, options.count, await fuzzContext(origin, emulator));
  const pool = new Pool(origin, { connections: options.concurrency });
  const report: FuzzReport = { requests: requests.length, statuses: {}, failures: [], dataUnchanged: false };
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      const request = requests[index] as HostileRequest;
      const problem = await check(pool, request).catch((error: unknown) => `no answer (${String(error)})`);
      if (typeof problem === "number") {
        report.statuses[request.kind] ??= {};
        const byKind = report.statuses[request.kind] as Record<number, number>;
        byKind[problem] = (byKind[problem] ?? 0) + 1;
      } else {
        report.failures.push(`#${index} ${request.kind} ${request.method} ${request.path.slice(0, 120)}: ${problem}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await pool.close();
  report.dataUnchanged = (await accountSnapshot(emulator)) === before;
  return report;
}

/** The status when the answer is sound, else what is wrong with it. */
async function check(pool: Pool, request: HostileRequest): Promise<number | string> {
  const response = await pool.request({
    method: request.method,
    path: request.path,
    headers: request.headers,
    body: request.body,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const text = await response.body.text();
  const status = response.statusCode;
  if (status >= 500) return `HTTP ${status}: ${text.slice(0, 300)}`;
  if (!String(response.headers["content-type"] ?? "").includes("json")) return status;
  let body: { errors?: { extensions?: { code?: unknown } }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `HTTP ${status} with a JSON content type and a body that is not JSON: ${text.slice(0, 200)}`;
  }
  const uncoded = (Array.isArray(body.errors) ? body.errors : []).filter(
    (e) => !FIRM_CODES.has(String(e.extensions?.code)),
  );
  if (uncoded.length > 0)
    return `HTTP ${status}, an error without a contract code: ${JSON.stringify(uncoded[0]).slice(0, 300)}`;
  return status;
}
