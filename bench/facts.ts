// npm run bench -- facts: the facts backfill of a mixed account, the budget share it takes, and the
// server's memory while it computes the facts of a 40-megapixel JPEG and a 10 MB PNG upload.
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { type EmulatorProcess, startEmulatorProcess } from "./lib/emulator-process.ts";
import { cpuMs, rssMb, watchRss } from "./lib/proc.ts";
import { type BenchServer, startServerProcess } from "./lib/server-process.ts";

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    images: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "2" },
    "share-seconds": { type: "string", default: "20" },
  },
});
const IMAGES = Number(values.images);
const CONCURRENCY = values.concurrency;
const BLOB = "GET /accounts/{account_id}/images/v1/{image_id}/blob";
const LIST = `{ images(first: 1000) { edges { node { factsStatus } } } }`;

/** Smooth pictures (gradients and blocks) in every format, of several sizes: what a photo site holds. */
async function mixedFiles(): Promise<{ name: string; type: string; bytes: Buffer }[]> {
  const picture = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: { r: 30, g: 120, b: 200 } } }).composite([
      {
        input: { create: { width: Math.ceil(width / 2), height, channels: 3, background: "#d04020" } },
        left: 0,
        top: 0,
      },
    ]);
  const frame = await picture(200, 150).png().toBuffer();
  const other = await picture(200, 150).flop().png().toBuffer();
  return [
    { name: "a.jpg", type: "image/jpeg", bytes: await picture(640, 480).jpeg().toBuffer() },
    { name: "b.jpg", type: "image/jpeg", bytes: await picture(1600, 1200).jpeg().toBuffer() },
    { name: "c.jpg", type: "image/jpeg", bytes: await picture(4000, 3000).jpeg().toBuffer() },
    { name: "d.png", type: "image/png", bytes: await picture(800, 600).png().toBuffer() },
    { name: "e.webp", type: "image/webp", bytes: await picture(1200, 800).webp().toBuffer() },
    { name: "f.avif", type: "image/avif", bytes: await picture(600, 400).avif().toBuffer() },
    {
      name: "g.gif",
      type: "image/gif",
      bytes: await sharp([frame, other, frame], { join: { animated: true } })
        .gif()
        .toBuffer(),
    },
    {
      name: "h.svg",
      type: "image/svg+xml",
      bytes: Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 200"><rect width="150" height="200" fill="#d04020"/></svg>',
      ),
    },
  ];
}

async function uploadToEmulator(emulator: EmulatorProcess, file: { name: string; type: string; bytes: Buffer }) {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  const response = await fetch(`${emulator.baseUrl}/accounts/${emulator.accountId}/images/v1`, {
    method: "POST",
    headers: { authorization: `Bearer ${emulator.token}` },
    body: form,
  });
  if (!response.ok) throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
}

async function emulatorRequests(emulator: EmulatorProcess): Promise<Record<string, number>> {
  return (await (await fetch(`${emulator.origin}/__emulator/requests`)).json()) as Record<string, number>;
}

async function resetCounts(emulator: EmulatorProcess): Promise<void> {
  await fetch(`${emulator.origin}/__emulator/reset`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
}

async function statuses(server: BenchServer): Promise<Record<string, number>> {
  const response = await fetch(`${server.origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: LIST }),
  });
  const body = (await response.json()) as { data: { images: { edges: { node: { factsStatus: string } }[] } } };
  const counts: Record<string, number> = {};
  for (const { node } of body.data.images.edges) counts[node.factsStatus] = (counts[node.factsStatus] ?? 0) + 1;
  return counts;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stop(server: BenchServer): Promise<void> {
  await new Promise<void>((resolve) => {
    if (server.process.exitCode !== null) return resolve();
    server.process.once("exit", () => resolve());
    server.process.kill("SIGTERM");
  });
}

async function backfill(emulator: EmulatorProcess) {
  const server = await startServerProcess(emulator, undefined, undefined, undefined, {
    CACHE: "on",
    CACHE_LIST_TTL_SECONDS: "3600",
    FACTS_CONCURRENCY: CONCURRENCY,
  });
  try {
    await resetCounts(emulator);
    const cpuBefore = await cpuMs(server.pid);
    const rss = watchRss(server.pid);
    const started = performance.now();
    let counts = await statuses(server);
    while ((counts.PENDING ?? 0) > 0) {
      await sleep(250);
      counts = await statuses(server);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = (await cpuMs(server.pid)) - cpuBefore;
    const calls = await emulatorRequests(emulator);
    return {
      images: sum(counts),
      ready: counts.READY ?? 0,
      failed: counts.FAILED ?? 0,
      seconds: round(seconds),
      factsPerSecond: round(sum(counts) / seconds),
      upstreamCallsPerImage: round(sum(calls) / sum(counts), 3),
      blobDownloadsPerImage: round((calls[BLOB] ?? 0) / sum(counts), 3),
      upstreamCalls: calls,
      cpuMsPerImage: round(cpu / sum(counts)),
      peakRssMb: rss.stop(),
    };
  } finally {
    await stop(server);
  }
}

/** The default budget (1,200 calls in 5 minutes): how many downloads the backfill takes of a window. */
async function budgetShare(emulator: EmulatorProcess) {
  const server = await startServerProcess(emulator, undefined, undefined, undefined, {
    UPSTREAM_BUDGET: undefined,
    CACHE: "on",
    CACHE_LIST_TTL_SECONDS: "3600",
    FACTS_CONCURRENCY: CONCURRENCY,
  });
  try {
    await resetCounts(emulator);
    await statuses(server);
    const until = performance.now() + Number(values["share-seconds"]) * 1000;
    while (performance.now() < until) await sleep(500);
    const calls = await emulatorRequests(emulator);
    const downloads = calls[BLOB] ?? 0;
    return {
      budget: 1200,
      windowSeconds: 300,
      configuredShare: 0.25,
      downloads,
      shareUsed: round(downloads / 1200, 3),
      calls,
    };
  } finally {
    await stop(server);
  }
}

/** A fresh server's resident memory before and at its peak while one upload's facts are computed. */
async function uploadPeak(
  emulator: EmulatorProcess,
  file: { name: string; type: string; bytes: Buffer },
  facts: "on" | "off",
) {
  const server = await startServerProcess(emulator, undefined, undefined, undefined, { FACTS: facts });
  try {
    await sleep(500);
    const baseline = await rssMb(server.pid);
    const rss = watchRss(server.pid);
    const form = new FormData();
    const query =
      "mutation($input: UploadImageInput!) { uploadImage(input: $input) { __typename ... on UploadImagePayload { image { factsStatus width height } } } }";
    form.append("operations", JSON.stringify({ query, variables: { input: { file: null } } }));
    form.append("map", JSON.stringify({ 0: ["variables.input.file"] }));
    form.append("0", new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
    const response = await fetch(`${server.origin}/graphql`, {
      method: "POST",
      headers: { "apollo-require-preflight": "true" },
      body: form,
    });
    const answer = await response.text();
    await sleep(200);
    return {
      file: file.name,
      bytes: file.bytes.byteLength,
      facts,
      baselineRssMb: baseline,
      peakRssMb: rss.stop(),
      answer: JSON.parse(answer),
    };
  } finally {
    await stop(server);
  }
}

async function largeFiles() {
  // 7,750 × 5,160 ≈ 40 megapixels: soft noise (a small noise picture enlarged), a few MB as a JPEG.
  const jpeg = await sharp(randomBytes(775 * 516 * 3), { raw: { width: 775, height: 516, channels: 3 } })
    .resize(7750, 5160, { kernel: "cubic" })
    .jpeg({ quality: 90 })
    .toBuffer();
  // Noise does not compress: 1,800 × 1,800 RGB is just under 10 MB as a PNG.
  const side = 1800;
  const png = await sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
  return [
    { name: "40mp.jpg", type: "image/jpeg", bytes: jpeg },
    { name: "10mb.png", type: "image/png", bytes: png },
  ];
}

function round(value: number, places = 1): number {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}

const emulator = await startEmulatorProcess();
try {
  const files = await mixedFiles();
  for (let i = 0; i < IMAGES; i += 1)
    await uploadToEmulator(emulator, files[i % files.length] as (typeof files)[number]);
  console.error(`seeded ${IMAGES} images of ${files.length} kinds`);
  const throughput = await backfill(emulator);
  console.error("backfill", JSON.stringify(throughput));
  const share = await budgetShare(emulator);
  console.error("budget share", JSON.stringify(share));
  const memory = [];
  for (const file of await largeFiles()) {
    for (const facts of ["off", "on"] as const) memory.push(await uploadPeak(emulator, file, facts));
  }
  console.error("memory", JSON.stringify(memory.map(({ answer: _answer, ...rest }) => rest)));
  const result = { date: new Date().toISOString(), concurrency: Number(CONCURRENCY), throughput, share, memory };
  const path = `bench/results/facts-${result.date.slice(0, 10)}.json`;
  await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `facts per second ${throughput.factsPerSecond} (${throughput.images} images, concurrency ${CONCURRENCY})`,
  );
  console.log(
    `upstream calls per image ${throughput.upstreamCallsPerImage} (blob downloads ${throughput.blobDownloadsPerImage})`,
  );
  console.log(`CPU per image ${throughput.cpuMsPerImage} ms; peak RSS during the backfill ${throughput.peakRssMb} MB`);
  console.log(
    `budget share used in ${values["share-seconds"]} s: ${share.downloads} downloads of 1200 = ${share.shareUsed} (configured 0.25)`,
  );
  for (const m of memory)
    console.log(`${m.file} (${m.bytes} bytes) FACTS=${m.facts}: RSS ${m.baselineRssMb} -> peak ${m.peakRssMb} MB`);
  console.log(`written to ${path}`);
} finally {
  await emulator.stop();
}
