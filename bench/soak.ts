// npm run bench -- soak [--minutes <n>] [--connections <n>]: mixed browsing and writes against one
// server process over the emulator (20 ms latency), for n minutes. Reports resident memory at one
// minute and at the end (the goal: within 15 %), the live heap after full collections, and every
// error. Writes bench/results/soak.json.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { startEmulator } from "../src/emulator/index.ts";
import { paddedPng } from "../src/emulator/samples/index.ts";
import { startServerProcess } from "./lib/server-process.ts";

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: { minutes: { type: "string", default: "10" }, connections: { type: "string", default: "20" } },
});
const durationMs = Number(values.minutes) * 60_000;
const connections = Number(values.connections);
if (!(durationMs > 0) || !(connections > 0)) throw new Error("--minutes and --connections must be positive numbers");
// The "one minute" reference, or half of a shorter run.
const referenceMs = Math.min(60_000, durationMs / 2);

const emulator = await startEmulator({ host: "127.0.0.1", port: 0, latencyMs: 20, seed: true });
const bulk = await fetch(`${emulator.origin}/__emulator/images`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ count: 2000 }),
});
const ids = ((await bulk.json()) as { ids: string[] }).ids;
// V8 sizes its heap lazily on a large machine, so RSS alone can hide or fake a leak: the live heap
// after each full collection (from --trace-gc) is reported beside it. It varies by some MB with what
// the young generation holds at the time, so it is a diagnosis, not the pass mark.
let liveHeapMb: number | undefined;
const server = await startServerProcess(
  emulator,
  ["--unhandled-rejections=strict", "--trace-gc"],
  "src/main.ts",
  (out) => {
    for (const match of out.matchAll(/Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \(/g)) liveHeapMb = Number(match[1]);
  },
);
const pool = new Pool(server.origin, { connections });

const pick = () => ids[Math.floor(Math.random() * ids.length)] as string;
const nodeId = (id: string) => Buffer.from(`Image:${id}`).toString("base64");
const PAGE =
  "query($after: String) { images(first: 100, after: $after) { edges { node { imageId url variants { name url variant { options { width fit } } } } } pageInfo { endCursor hasNextPage } } }";
// The ids are variables, as a frontend's documents are: a soak of unique documents would measure
// how full yoga's parse cache (1,024 documents) gets, not whether anything leaks.
const TWENTY_IMAGES = `query(${Array.from({ length: 20 }, (_, k) => `$id${k}: ID!`).join(", ")}) { ${Array.from(
  { length: 20 },
  (_, k) => `a${k}: image(imageId: $id${k}) { imageId url }`,
).join(" ")} }`;
const UPLOAD =
  "mutation($input: UploadImageInput!) { uploadImage(input: $input) { __typename ... on UploadImagePayload { image { imageId } } } }";
const UPDATE =
  "mutation($input: UpdateImageInput!) { updateImage(input: $input) { __typename ... on UpdateImagePayload { image { imageId meta } } } }";
const DELETE = "mutation($input: DeleteImageInput!) { deleteImage(input: $input) { __typename } }";

interface Answer {
  status: number;
  text: string;
}

async function send(method: "GET" | "POST", path: string, body?: string, headers: Record<string, string> = {}) {
  const response = await pool.request({
    method,
    path,
    body,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
  });
  return { status: response.statusCode, text: await response.body.text() };
}

const gql = (query: string, variables: Record<string, unknown> = {}) =>
  send("POST", "/graphql", JSON.stringify({ query, variables }));

async function upload(): Promise<Answer> {
  const boundary = `soak${Math.random().toString(16).slice(2)}`;
  const file = paddedPng(32 * 1024 + Math.floor(Math.random() * 1024));
  const head =
    `--${boundary}\r\ncontent-disposition: form-data; name="operations"\r\n\r\n` +
    `${JSON.stringify({ query: UPLOAD, variables: { input: { file: null, metadata: { soak: true } } } })}\r\n` +
    `--${boundary}\r\ncontent-disposition: form-data; name="map"\r\n\r\n{"0":["variables.input.file"]}\r\n` +
    `--${boundary}\r\ncontent-disposition: form-data; name="0"; filename="soak.png"\r\ncontent-type: image/png\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(head), file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const response = await pool.request({
    method: "POST",
    path: "/graphql",
    body,
    headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "apollo-require-preflight": "true" },
  });
  return { status: response.statusCode, text: await response.body.text() };
}

/** One worker's browsing: a walk through the list, lookups, bytes; and now and then a write. */
async function step(state: { after: string | null }): Promise<Answer[]> {
  const roll = Math.random();
  if (roll < 0.25)
    return [await gql("query($id: ID!) { image(imageId: $id) { imageId filename url } }", { id: pick() })];
  if (roll < 0.4) {
    return [await gql(TWENTY_IMAGES, Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`id${k}`, pick()])))];
  }
  if (roll < 0.55) {
    const answer = await gql(PAGE, { after: state.after });
    const page = (
      JSON.parse(answer.text) as { data?: { images?: { pageInfo: { endCursor: string; hasNextPage: boolean } } } }
    ).data?.images?.pageInfo;
    state.after = page?.hasNextPage ? page.endCursor : null;
    return [answer];
  }
  if (roll < 0.65) {
    const query = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Image { imageId } } }";
    return [await gql(query, { ids: [pick(), pick(), pick()].map(nodeId) })];
  }
  if (roll < 0.75) return [await send("GET", `/images/${pick()}/blob`)];
  if (roll < 0.8) return [await gql("{ stats { current allowed } variants { name } }")];
  if (roll < 0.93) {
    return [await gql(UPDATE, { input: { imageId: pick(), metadata: { soak: Math.floor(Math.random() * 1e6) } } })];
  }
  const uploaded = await upload();
  const imageId = (JSON.parse(uploaded.text) as { data?: { uploadImage?: { image?: { imageId: string } } } }).data
    ?.uploadImage?.image?.imageId;
  if (!imageId) return [uploaded];
  return [uploaded, await gql(DELETE, { input: { imageId } })];
}

function failed(answer: Answer): boolean {
  if (answer.status !== 200) return true;
  if (!answer.text.startsWith("{")) return false;
  const body = JSON.parse(answer.text) as { errors?: unknown; data?: Record<string, { __typename?: string }> };
  if (body.errors) return true;
  // A mutation's expected failures are union members: any of them here is an error of the run.
  return Object.values(body.data ?? {}).some(
    (v) => typeof v?.__typename === "string" && !v.__typename.endsWith("Payload"),
  );
}

async function rssMb(): Promise<number> {
  const status = await readFile(`/proc/${server.pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 102.4) / 10;
}

const samples: { atS: number; rssMb: number; liveHeapMb: number | undefined; requests: number }[] = [];
const errors: string[] = [];
let requests = 0;
const started = performance.now();
let referenceRssMb: number | undefined;
let referenceLiveMb: number | undefined;
const sampler = setInterval(async () => {
  const atMs = performance.now() - started;
  const rss = await rssMb();
  samples.push({ atS: Math.round(atMs / 1000), rssMb: rss, liveHeapMb, requests });
  if (referenceRssMb === undefined && atMs >= referenceMs) {
    referenceRssMb = rss;
    referenceLiveMb = liveHeapMb;
  }
  console.log(
    `${Math.round(atMs / 1000)} s: ${requests} requests, ${errors.length} errors, RSS ${rss} MB, live heap ${liveHeapMb ?? "?"} MB`,
  );
}, 10_000);

await Promise.all(
  Array.from({ length: connections }, async () => {
    const state = { after: null as string | null };
    while (performance.now() - started < durationMs) {
      try {
        for (const answer of await step(state)) {
          requests += 1;
          if (failed(answer)) errors.push(`${answer.status} ${answer.text.slice(0, 300)}`);
        }
      } catch (error) {
        errors.push(String(error));
      }
    }
  }),
);
clearInterval(sampler);
const endRssMb = await rssMb();
referenceRssMb ??= samples[0]?.rssMb ?? endRssMb;
referenceLiveMb ??= samples[0]?.liveHeapMb ?? liveHeapMb;
const growth = (endRssMb - referenceRssMb) / referenceRssMb;
const liveGrowth =
  referenceLiveMb === undefined || liveHeapMb === undefined
    ? undefined
    : (liveHeapMb - referenceLiveMb) / referenceLiveMb;
const percent = (ratio: number | undefined) => (ratio === undefined ? undefined : Math.round(ratio * 1000) / 10);
const result = {
  minutes: Number(values.minutes),
  connections,
  requests,
  requestsPerSecond: Math.round(requests / (durationMs / 1000)),
  errors: errors.length,
  firstErrors: errors.slice(0, 10),
  rssAtReferenceMb: referenceRssMb,
  referenceAtS: referenceMs / 1000,
  rssAtEndMb: endRssMb,
  rssGrowthPercent: percent(growth),
  rssWithinGoal: Math.abs(growth) <= 0.15,
  liveHeapAtReferenceMb: referenceLiveMb,
  liveHeapAtEndMb: liveHeapMb,
  liveHeapGrowthPercent: percent(liveGrowth),
  samples,
};
console.log(
  `soak: ${requests} requests in ${result.minutes} min (${result.requestsPerSecond}/s), ${errors.length} errors; ` +
    `RSS ${referenceRssMb} MB at ${result.referenceAtS} s, ${endRssMb} MB at the end (${result.rssGrowthPercent} %); ` +
    `live heap after full GC ${referenceLiveMb} MB at ${result.referenceAtS} s, ${liveHeapMb} MB at the end (${result.liveHeapGrowthPercent} %)`,
);
await mkdir(new URL("./results/", import.meta.url), { recursive: true });
await writeFile(new URL("./results/soak.json", import.meta.url), JSON.stringify(result, null, 2));
await pool.close();
server.process.kill("SIGTERM");
await new Promise((resolve) => server.process.once("exit", resolve));
await emulator.close();
process.exit(errors.length === 0 && result.rssWithinGoal ? 0 : 1);
