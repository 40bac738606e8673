import { declareVariables, type EnvReader } from "./env-reader.ts";

export const DEFAULT_API_BASE_URL = "https://api.cloudflare.com/client/v4";
export const DEFAULT_BATCH_BASE_URL = "https://batch.imagedelivery.net";

export const UPSTREAM_VARIABLES = declareVariables({
  CLOUDFLARE_API_TOKEN: {
    type: "text",
    format: "a Cloudflare API token (Images Read/Write)",
    secret: true,
    description: "The account's API token. Unset: the embedded emulator is started and used.",
  },
  CLOUDFLARE_ACCOUNT_ID: {
    type: "text",
    format: "a Cloudflare account id",
    description: "The account whose images are served; required with the token.",
  },
  CLOUDFLARE_API_BASE_URL: {
    type: "url",
    default: DEFAULT_API_BASE_URL,
    description: "Base URL of the upstream REST API (point it at `npm run emulator`).",
  },
  CLOUDFLARE_BATCH_BASE_URL: {
    type: "url",
    default: DEFAULT_BATCH_BASE_URL,
    description: "Cloudflare's batch host (the embedded emulator's own when no token is set).",
  },
  UPSTREAM_BATCH: {
    type: "choice",
    values: ["auto", "off"],
    default: "auto",
    description:
      "`auto`: the calls the batch host serves go there with a batch token; `off`: every call goes to the global API.",
  },
  EMULATOR_LATENCY_MS: {
    type: "integer",
    default: 0,
    min: 0,
    max: 60_000,
    description: "Latency the embedded emulator adds to each call (to watch batching at work).",
  },
});

export interface UpstreamConfig {
  readonly baseUrl: string;
  /** Cloudflare's batch host; absent: the global API serves every call. */
  readonly batchBaseUrl?: string | undefined;
  readonly accountId: string;
  readonly token: string;
}

export interface UpstreamSettings {
  /** Absent: the embedded emulator is started and used. */
  readonly upstream: UpstreamConfig | undefined;
  /** `auto`: the endpoints Cloudflare's batch host serves go there with a batch token; `off`: global API only. */
  readonly upstreamBatch: "auto" | "off";
  /** Emulator latency (ms) when the embedded emulator runs; for demos of batching. */
  readonly emulatorLatencyMs: number;
}

/** `realCredentials`: a token is set, so the settings that guard a real account apply. */
export function readUpstreamConfig(read: EnvReader): UpstreamSettings & { realCredentials: boolean } {
  const v = UPSTREAM_VARIABLES;
  const token = read.text(v.CLOUDFLARE_API_TOKEN);
  const accountId = read.text(v.CLOUDFLARE_ACCOUNT_ID);
  const baseUrl = read.url(v.CLOUDFLARE_API_BASE_URL) ?? DEFAULT_API_BASE_URL;
  const batchBaseUrl = read.url(v.CLOUDFLARE_BATCH_BASE_URL) ?? DEFAULT_BATCH_BASE_URL;
  if (token && !accountId) read.problem("CLOUDFLARE_ACCOUNT_ID is required when CLOUDFLARE_API_TOKEN is set");
  if (accountId && !token) read.problem("CLOUDFLARE_API_TOKEN is required when CLOUDFLARE_ACCOUNT_ID is set");
  return {
    realCredentials: token !== undefined,
    upstream: token && accountId ? { baseUrl, batchBaseUrl, accountId, token } : undefined,
    upstreamBatch: read.choice(v.UPSTREAM_BATCH) ?? "auto",
    emulatorLatencyMs: read.integer(v.EMULATOR_LATENCY_MS),
  };
}
