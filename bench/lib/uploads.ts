// Upload scenarios of `npm run bench -- latency`: 5 MB uploads under load, and the server's memory during one 9.5 MB upload.
import { readFile } from "node:fs/promises";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { paddedPng } from "../../src/emulator/samples/index.ts";
import { type LoadRequest, type LoadResult, runLoad } from "./load.ts";

const MB = 1024 * 1024;
const UPLOAD = "mutation($input: UploadImageInput!) { uploadImage(input: $input) { __typename } }";

export interface UploadBenchResult {
  scenario: string;
  fileBytes: number;
  facade: LoadResult;
  direct: LoadResult;
  peakRssMb: number;
}

export interface UploadMemoryResult {
  fileBytes: number;
  /** Resident memory of the idle, warmed-up server just before the upload. */
  baselineRssMb: number;
  /** Largest growth over the baseline seen during the upload. */
  peakGrowthMb: number;
}

/** 5 MB uploads, a few at a time, through GraphQL (multipart) and straight to the emulator's REST API. */
export async function fiveMegabyteUploads(
  serverOrigin: string,
  serverPid: number,
  emulator: RunningEmulator,
  options: { connections: number; durationMs: number },
): Promise<UploadBenchResult> {
  const file = paddedPng(5 * MB);
  const graphql = graphqlUpload(file);
  const rest = restUpload(file, emulator);
  const load = { connections: options.connections, durationMs: options.durationMs, maxRequests: 100 };
  const rss = watchRss(serverPid, 50);
  const facade = await runLoad(serverOrigin, () => graphql, load);
  const peakRssMb = Math.round(rss.stop() / MB);
  await forgetUploads(emulator);
  const direct = await runLoad(emulator.origin, () => rest, load);
  await forgetUploads(emulator);
  return { scenario: "5 MB upload", fileBytes: file.byteLength, facade, direct, peakRssMb };
}

/**
 * The growth of a fresh server's resident memory during its first 9.5 MB upload, after small uploads
 * only. Only the first large upload tells: memory freed afterwards stays with the process and is
 * reused, so later uploads show no growth whether the file was held or not.
 */
export async function uploadMemory(
  origin: string,
  pid: number,
  emulator: RunningEmulator,
): Promise<UploadMemoryResult> {
  const send = async (request: LoadRequest) => {
    const response = await fetch(`${origin}${request.path}`, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    if (!text.includes("UploadImagePayload")) throw new Error(`upload failed: ${text}`);
  };
  const small = graphqlUpload(paddedPng(64 * 1024));
  for (let i = 0; i < 5; i++) await send(small);
  const file = paddedPng(Math.round(9.5 * MB));
  const big = graphqlUpload(file);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const baseline = await rssOf(pid);
  const rss = watchRss(pid, 5);
  await send(big);
  const growth = Math.max(0, Math.max(rss.stop(), await rssOf(pid)) - baseline);
  await forgetUploads(emulator);
  return { fileBytes: file.byteLength, baselineRssMb: round(baseline / MB), peakGrowthMb: round(growth / MB) };
}

function graphqlUpload(file: Uint8Array): LoadRequest {
  const form = new MultipartBuilder();
  form.field("operations", JSON.stringify({ query: UPLOAD, variables: { input: { file: null } } }));
  form.field("map", JSON.stringify({ 0: ["variables.input.file"] }));
  form.file("0", "bench.png", file);
  // Upload clients send this header, so the server's CSRF prevention lets the request in.
  return {
    method: "POST",
    path: "/graphql",
    headers: { ...form.headers(), "apollo-require-preflight": "true" },
    body: form.body(),
  };
}

function restUpload(file: Uint8Array, emulator: RunningEmulator): LoadRequest {
  const form = new MultipartBuilder();
  form.file("file", "bench.png", file);
  const path = `${new URL(emulator.baseUrl).pathname}/accounts/${emulator.accountId}/images/v1`;
  return {
    method: "POST",
    path,
    headers: { ...form.headers(), authorization: `Bearer ${emulator.token}` },
    body: form.body(),
  };
}

/** The benchmark's uploads would otherwise pile up in the emulator's memory (it shares this process). */
async function forgetUploads(emulator: RunningEmulator) {
  await fetch(`${emulator.origin}/__emulator/reset`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: true }),
  });
}

class MultipartBuilder {
  readonly #boundary = `bench${Math.random().toString(16).slice(2)}`;
  readonly #parts: Uint8Array[] = [];

  field(name: string, value: string) {
    this.#parts.push(
      Buffer.from(`--${this.#boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }

  file(name: string, filename: string, bytes: Uint8Array) {
    this.#parts.push(
      Buffer.from(
        `--${this.#boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      bytes,
      Buffer.from("\r\n"),
    );
  }

  headers(): Record<string, string> {
    return { "content-type": `multipart/form-data; boundary=${this.#boundary}` };
  }

  body(): Uint8Array<ArrayBuffer> {
    return Buffer.concat([...this.#parts, Buffer.from(`--${this.#boundary}--\r\n`)]);
  }
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

/** Peak resident bytes of `pid`, sampled every `everyMs` until stopped. */
function watchRss(pid: number, everyMs: number) {
  let peak = 0;
  const sample = async () => {
    peak = Math.max(peak, await rssOf(pid));
  };
  const timer = setInterval(() => void sample(), everyMs);
  void sample();
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
