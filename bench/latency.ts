// npm run bench -- latency: the facade against the emulator (20 ms added latency), side by side with
// direct REST, with a cursor walk and 5 MB uploads. Writes bench/results/latency.json.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { startEmulator } from "../src/emulator/index.ts";
import { type LoadRequest, type LoadResult, runLoad } from "./lib/load.ts";
import { seed } from "./lib/scenarios.ts";
import { startServerProcess } from "./lib/server-process.ts";
import { fiveMegabyteUploads, uploadMemory } from "./lib/uploads.ts";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const LATENCY_MS = 20;

const emulator = await startEmulator({ host: "127.0.0.1", port: 0, latencyMs: LATENCY_MS });
const ids = await seed(emulator);

const server = await startServerProcess(emulator);
const auth = { authorization: `Bearer ${emulator.token}` };
const api = `/client/v4/accounts/${emulator.accountId}/images`;
const gql = (query: string, variables: Record<string, unknown> = {}): LoadRequest => ({
  method: "POST",
  path: "/graphql",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ query, variables }),
});
const rest = (path: string): LoadRequest => ({ method: "GET", path: `${api}${path}`, headers: auth });
const nodeId = (id: string) => Buffer.from(`Image:${id}`).toString("base64");
const pick = (i: number) => ids[(i * 7919) % ids.length] as string;

interface Scenario {
  name: string;
  minimumCalls: number;
  facade: (i: number) => LoadRequest;
  direct: (i: number) => LoadRequest[];
}

const scenarios: Scenario[] = [
  {
    name: "one image by id",
    minimumCalls: 1,
    facade: (i) => gql("query($id: ID!) { image(imageId: $id) { imageId filename url } }", { id: pick(i) }),
    direct: (i) => [rest(`/v1/${pick(i)}`)],
  },
  {
    name: "20 aliased images (10 unique)",
    minimumCalls: 10,
    facade: (i) =>
      gql(
        `{ ${Array.from({ length: 20 }, (_, k) => `a${k}: image(imageId: "${pick(i * 10 + (k % 10))}") { imageId url }`).join(" ")} }`,
      ),
    direct: (i) => Array.from({ length: 10 }, (_, k) => rest(`/v1/${pick(i * 10 + k)}`)),
  },
  {
    name: "page of 100 with variants",
    minimumCalls: 2,
    facade: () =>
      gql(
        "{ images(first: 100) { edges { node { imageId url variants { name url variant { options { width height fit } } } } } } }",
      ),
    direct: () => [rest("/v2?per_page=100"), rest("/v1/variants")],
  },
  {
    name: "node refetch",
    minimumCalls: 1,
    facade: (i) =>
      gql("query($id: ID!) { node(id: $id) { ... on Image { imageId filename } } }", { id: nodeId(pick(i)) }),
    direct: (i) => [rest(`/v1/${pick(i)}`)],
  },
];

const results: Record<string, unknown>[] = [];
for (const s of scenarios) {
  const calls = await callsForOne(s.facade(1));
  await resetCounts();
  const rss = watchRss(server.pid);
  const facade = await runLoad(server.origin, s.facade, { connections: CONNECTIONS, durationMs: DURATION_MS });
  const peakRssMb = rss.stop();
  const underLoad = (await totalCalls()) / Math.max(1, facade.requests);
  const direct = await runLoad(emulator.origin, s.direct, { connections: CONNECTIONS, durationMs: DURATION_MS });
  results.push(row(s.name, s.minimumCalls, calls, underLoad, facade, direct, peakRssMb));
}
results.push(await cursorWalk());
const upload = await fiveMegabyteUploads(server.origin, server.pid, emulator, {
  connections: 4,
  durationMs: DURATION_MS,
});
results.push({
  ...row(upload.scenario, 1, 1, 1, upload.facade, upload.direct, upload.peakRssMb),
});
const memory = await measureUploadMemory([]);
const collectGarbage = ["--expose-gc", "--import", "./bench/lib/gc-ticker.ts"];
const memoryCollected = await measureUploadMemory(collectGarbage);
const memoryBuffering = await measureUploadMemory(collectGarbage, "bench/lib/buffering-control.ts");

console.table(
  results.map((r) => ({
    scenario: r.scenario,
    "calls/op": `${r.callsPerOperation} (min ${r.minimumCalls})`,
    "calls/op under load": Number(r.callsPerOperationUnderLoad).toFixed(2),
    "req/s": Number(r.requestsPerSecond).toFixed(0),
    "p50 ms": Number(r.p50Ms).toFixed(1),
    "p99 ms": Number(r.p99Ms).toFixed(1),
    "direct p50 ms": Number(r.directP50Ms).toFixed(1),
    "added p50 ms": Number(r.addedP50Ms).toFixed(1),
    "peak RSS MB": r.peakRssMb,
  })),
);
await mkdir(new URL("./results/", import.meta.url), { recursive: true });
const out = new URL("./results/latency.json", import.meta.url);
await writeFile(
  out,
  JSON.stringify(
    {
      connections: CONNECTIONS,
      durationMs: DURATION_MS,
      latencyMs: LATENCY_MS,
      results,
      uploadMemory: { default: memory, collectedEvery20ms: memoryCollected },
    },
    null,
    2,
  ),
);
console.log(
  `9.5 MB upload (${memory.fileBytes} bytes), peak RSS growth of a fresh server during its first one (3 servers): ` +
    `${memory.peakGrowthMb.join(", ")} MB; ` +
    `with a GC every 20 ms: ${memoryCollected.peakGrowthMb.join(", ")} MB; ` +
    `control, yoga's buffering parser with a GC every 20 ms: ${memoryBuffering.peakGrowthMb.join(", ")} MB`,
);
console.log(`wrote ${out.pathname}`);
server.process.kill("SIGTERM");
await emulator.close();

function row(
  scenario: string,
  minimumCalls: number,
  callsPerOperation: number,
  underLoad: number,
  facade: LoadResult,
  direct: LoadResult,
  peakRssMb: number,
) {
  return {
    scenario,
    minimumCalls,
    callsPerOperation,
    callsPerOperationUnderLoad: underLoad,
    requestsPerSecond: facade.requestsPerSecond,
    p50Ms: facade.p50Ms,
    p99Ms: facade.p99Ms,
    errors: facade.errors,
    directRequestsPerSecond: direct.requestsPerSecond,
    directP50Ms: direct.p50Ms,
    directP99Ms: direct.p99Ms,
    addedP50Ms: facade.p50Ms - direct.p50Ms,
    peakRssMb,
  };
}

/** A walk over 2,000 images, 100 per request, newest first: one operation = 20 requests. */
async function cursorWalk() {
  const walkFacade = async () => {
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const response = await fetch(`${server.origin}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query:
            "query($after: String) { images(first: 100, after: $after) { edges { node { imageId } } pageInfo { endCursor } } }",
          variables: { after },
        }),
      });
      const body = (await response.json()) as { data: { images: { pageInfo: { endCursor: string } } } };
      after = body.data.images.pageInfo.endCursor;
    }
  };
  const walkDirect = async () => {
    let token: string | null = null;
    for (let page = 0; page < 20; page++) {
      const response: Response = await fetch(
        `${emulator.origin}${api}/v2?per_page=100${token ? `&continuation_token=${token}` : ""}`,
        { headers: auth },
      );
      token = ((await response.json()) as { result: { continuation_token: string | null } }).result.continuation_token;
    }
  };
  await resetCounts();
  await walkFacade();
  const calls = await totalCalls();
  const rss = watchRss(server.pid);
  const facade = await timeWalks(walkFacade);
  const peakRssMb = rss.stop();
  const direct = await timeWalks(walkDirect);
  return row("cursor walk of 2,000 (20 × 100)", 20, calls, calls, facade, direct, peakRssMb);
}

async function timeWalks(walk: () => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const workers = Array.from({ length: 5 }, async () => {
    while (performance.now() - started < DURATION_MS) {
      const t0 = performance.now();
      await walk();
      latencies.push(performance.now() - t0);
    }
  });
  await Promise.all(workers);
  const durationMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors: 0,
    durationMs,
    requestsPerSecond: (latencies.length / durationMs) * 1000,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

async function callsForOne(request: LoadRequest): Promise<number> {
  await resetCounts();
  const response = await fetch(`${server.origin}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
  const body = (await response.json()) as { errors?: unknown };
  if (body.errors) throw new Error(`benchmark query failed: ${JSON.stringify(body.errors)}`);
  return totalCalls();
}

async function resetCounts() {
  await fetch(`${emulator.origin}/__emulator/reset`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
}

async function totalCalls(): Promise<number> {
  const counts = (await (await fetch(`${emulator.origin}/__emulator/requests`)).json()) as Record<string, number>;
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function watchRss(pid: number) {
  let peak = 0;
  const sample = async () => {
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    peak = Math.max(peak, kb);
  };
  const timer = setInterval(() => void sample(), 50);
  void sample();
  return {
    stop: () => {
      clearInterval(timer);
      return Math.round(peak / 1024);
    },
  };
}

/** On a server of its own, so the load scenarios' garbage does not blur the figure. */
/** Three fresh servers, one measured upload each, so earlier work does not blur the figure. */
async function measureUploadMemory(nodeArgs: string[], entry = "src/main.ts") {
  const growth: number[] = [];
  let fileBytes = 0;
  for (let i = 0; i < 3; i++) {
    const fresh = await startServerProcess(emulator, nodeArgs, entry);
    try {
      const measured = await uploadMemory(fresh.origin, fresh.pid, emulator);
      growth.push(measured.peakGrowthMb);
      fileBytes = measured.fileBytes;
    } finally {
      fresh.process.kill("SIGTERM");
    }
  }
  return { fileBytes, peakGrowthMb: growth };
}
