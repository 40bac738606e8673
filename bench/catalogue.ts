// npm run bench -- catalogue [--images <n>] [--seconds <n>] [--connections <n>] [--no-postgres] [--no-off]
// [--scenarios search,filter,sort,common] [--cpu-prof <dir>]: the catalogue over an emulator holding 100,000
// images: the first sweep (time, upstream calls), pages of 50 from a search, a filter, a sort and a search
// for a word in every filename at 10 connections (p50, p99, req/s, and the server's CPU per request, which a
// busy machine changes far less than the wall-clock figures) on the embedded store and on PostgreSQL, and
// the server's RSS with the catalogue on and off. `--cpu-prof` writes the embedded server's CPU profile
// there. Targets (issue 22): sweep <= 60 s, p50 <= 10 ms, p99 <= 50 ms.
import { parseArgs } from "node:util";
import { startTestPostgres, type TestPostgres } from "../test/support/postgres.ts";
import { type EmulatorProcess, startEmulatorProcess } from "./lib/emulator-process.ts";
import { type LoadRequest, runLoad } from "./lib/load.ts";
import { cpuMs, rssMb } from "./lib/proc.ts";
import { type BenchServer, SERVER_NODE_ARGS, startServerProcess } from "./lib/server-process.ts";

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    images: { type: "string", default: "100000" },
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "10" },
    "no-postgres": { type: "boolean", default: false },
    "no-off": { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    scenarios: { type: "string", default: "search,filter,sort,common" },
  },
});
const images = Number(values.images);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const PAGE = 50;
const IDLE_MS = 10_000;

async function admin(emulator: EmulatorProcess, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.origin}/__emulator${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Words of the images' titles: each in about one image in a hundred, as a search term would be. */
const WORDS = Array.from(
  { length: 100 },
  (_, i) =>
    `${["red", "blue", "sea", "city", "dog", "cat", "tree", "sky", "road", "snow"][i % 10]}${Math.floor(i / 10)}`,
);
const CHUNK = 100;

/** Chunks of 100 with their own creator and metadata, so searches and filters select a share of them. */
async function seed(emulator: EmulatorProcess): Promise<void> {
  for (let done = 0, chunk = 0; done < images; done += CHUNK, chunk++) {
    await admin(emulator, "POST", "/images", {
      count: Math.min(CHUNK, images - done),
      creator: `user-${chunk % 50}`,
      meta: { title: `${WORDS[chunk % WORDS.length]} ${WORDS[(chunk * 7 + 3) % WORDS.length]}`, rating: chunk % 5 },
    });
  }
  await admin(emulator, "POST", "/reset");
}

async function gql<T>(server: BenchServer, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`${server.origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query, variables }),
  });
  return ((await response.json()) as { data: T }).data;
}

interface CatalogueState {
  catalogue: { status: string; images: number | null; lastSweep: { durationMs: number; images: number } | null };
}

async function ready(server: BenchServer): Promise<CatalogueState["catalogue"]> {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const { catalogue } = await gql<CatalogueState>(
      server,
      "{ catalogue { status images lastSweep { durationMs images } } }",
    );
    if (catalogue.status === "READY") return catalogue;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("the catalogue did not become READY within 10 minutes");
}

/** What a gallery's page asks: the count, and per image its id, name, creator, upload time and a thumbnail URL. */
const SELECTION =
  'totalCount edges { node { imageId filename creator uploaded url(variant: "public") } } pageInfo { endCursor hasNextPage }';
const QUERIES: Record<string, (i: number) => { query: string; variables: Record<string, unknown> }> = {
  search: (i) => ({
    query: `query($s: String) { images(search: $s, first: ${PAGE}) { ${SELECTION} } }`,
    variables: { s: WORDS[i % WORDS.length] },
  }),
  filter: (i) => ({
    query: `query($c: String, $f: String) { images(filter: { creator: $c, filename: $f, requireSignedURLs: false }, first: ${PAGE}) { ${SELECTION} } }`,
    variables: { c: `user-${i % 50}`, f: `-${(i % 89) + 10}` },
  }),
  // A word in every filename (as "png" or "jpg" typed in a gallery's search box).
  common: (i) => ({
    query: `query($s: String) { images(search: $s, first: ${PAGE}) { ${SELECTION} } }`,
    variables: { s: i % 2 === 0 ? "bulk" : "png" },
  }),
  sort: (i) => ({
    query: `query($d: SortOrder) { images(orderBy: { field: FILENAME, direction: $d }, first: ${PAGE}) { ${SELECTION} } }`,
    variables: { d: i % 2 === 0 ? "ASC" : "DESC" },
  }),
};

async function load(server: BenchServer, kind: string) {
  const make = QUERIES[kind] as (i: number) => { query: string; variables: Record<string, unknown> };
  // A warm-up, as a running server has had.
  for (let i = 0; i < 20; i++) await gql(server, make(i).query, make(i).variables);
  const request = (i: number): LoadRequest => ({
    method: "POST",
    path: "/graphql",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify(make(i)),
  });
  const cpuBefore = await cpuMs(server.pid);
  const result = await runLoad(server.origin, request, { connections, durationMs: seconds * 1000 });
  const cpuMsPerRequest = ((await cpuMs(server.pid)) - cpuBefore) / Math.max(1, result.requests);
  return { ...result, cpuMsPerRequest };
}

async function measure(label: string, emulator: EmulatorProcess, env: NodeJS.ProcessEnv, nodeArgs = SERVER_NODE_ARGS) {
  await admin(emulator, "POST", "/reset");
  const started = performance.now();
  const server = await startServerProcess(emulator, nodeArgs, undefined, undefined, {
    CATALOGUE: "on",
    UPSTREAM_BATCH: "auto",
    ...env,
  });
  try {
    const state = await ready(server);
    const untilReady = Math.round(performance.now() - started);
    const counts = (await admin(emulator, "GET", "/requests")) as Record<string, number>;
    const listCalls = Object.entries(counts)
      .filter(([route]) => route.endsWith("/images/v2"))
      .reduce((sum, [, n]) => sum + n, 0);
    const rssReady = await rssMb(server.pid);
    // What stays once the collector has had its turn: the sweep's garbage is not held.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const rssIdle = await rssMb(server.pid);
    console.log(
      `${label}: first sweep ${state.lastSweep?.durationMs} ms for ${state.lastSweep?.images} images (READY ${untilReady} ms after spawn), ${listCalls} upstream list calls; index holds ${state.images}`,
    );
    for (const kind of values.scenarios.split(",").filter((k) => k in QUERIES)) {
      const result = await load(server, kind);
      console.log(
        `  ${kind.padEnd(7)} pages of ${PAGE} at ${connections} connections: p50 ${result.p50Ms.toFixed(1)} ms  p99 ${result.p99Ms.toFixed(1)} ms  ${Math.round(result.requestsPerSecond)} req/s  CPU ${result.cpuMsPerRequest.toFixed(2)} ms/req  ${result.errors} errors`,
      );
    }
    const rss = await rssMb(server.pid);
    console.log(
      `  RSS once READY: ${rssReady} MB; ${IDLE_MS / 1000} s later: ${rssIdle} MB; after the load: ${rss} MB`,
    );
    return rssIdle;
  } finally {
    // Waited for: a CPU profile is written as the process exits.
    const exited = new Promise((resolve) => server.process.once("exit", resolve));
    server.process.kill("SIGTERM");
    await exited;
  }
}

async function rssOff(emulator: EmulatorProcess): Promise<number> {
  const server = await startServerProcess(emulator, undefined, undefined, undefined, { CATALOGUE: "off" });
  try {
    // The same plain page as a gallery's first, a few times, then the resident memory.
    for (let i = 0; i < 50; i++) await gql(server, `{ images(first: ${PAGE}) { edges { node { imageId } } } }`);
    return await rssMb(server.pid);
  } finally {
    server.process.kill("SIGTERM");
  }
}

console.log(`catalogue: ${images} images, ${seconds} s per load at ${connections} connections`);
const emulator = await startEmulatorProcess();
let postgres: TestPostgres | undefined;
try {
  const seeding = performance.now();
  await seed(emulator);
  console.log(`seeded ${images} images in ${Math.round(performance.now() - seeding)} ms`);
  const off = values["no-off"] ? undefined : await rssOff(emulator);
  if (off !== undefined) console.log(`catalogue off: RSS ${off} MB after 50 plain pages`);
  const profile = values["cpu-prof"];
  const embedded = await measure(
    "embedded (node:sqlite, in memory)",
    emulator,
    {},
    profile ? [...SERVER_NODE_ARGS, "--cpu-prof", "--cpu-prof-dir", profile] : SERVER_NODE_ARGS,
  );
  if (off !== undefined) console.log(`  RSS with the catalogue on (10 s after READY) vs off: +${embedded - off} MB`);
  if (!values["no-postgres"]) {
    postgres = await startTestPostgres();
    const url = await postgres.createDatabase();
    await measure("PostgreSQL", emulator, { DATABASE_URL: url });
  }
} finally {
  await postgres?.close();
  await emulator.stop();
}
