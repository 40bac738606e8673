import { readFileSync } from "node:fs";
import { AUTH_MODES, type AuthSettings, parseApiKeys } from "./auth/index.ts";
import { type CacheConfig, readCacheConfig } from "./cache/settings.ts";
import { type MemoryConfig, readMemoryConfig, sizedFor } from "./memory/settings.ts";
import { type ExecutionConfig, readExecutionConfig } from "./plugins/execution-settings.ts";

/** Configuration, read from the environment once at start and validated; nothing else reads `process.env`. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** On SIGTERM, how long requests in flight may take before their connections are closed. */
  readonly shutdownTimeoutMs: number;
  /** Absent: the embedded emulator is started and used. */
  readonly upstream: UpstreamConfig | undefined;
  readonly budget: BudgetConfig;
  /** `auto`: the endpoints Cloudflare's batch host serves go there with a batch token; `off`: global API only. */
  readonly upstreamBatch: "auto" | "off";
  readonly http: {
    readonly connections: number;
    /** Uploads streaming to the upstream at once, on connections of their own. */
    readonly uploadConnections: number;
    readonly connectTimeoutMs: number;
    readonly requestTimeoutMs: number;
    /** One bound on an upstream call across all its tries. */
    readonly deadlineMs: number;
    readonly retries: number;
    readonly retryBaseDelayMs: number;
    readonly maxRetryAfterSeconds: number;
  };
  /** At most this many image lookups in flight per GraphQL request. */
  readonly loaderConcurrency: number;
  /** Largest `per_page` asked of the v2 list. */
  readonly upstreamPageSize: number;
  readonly signedUrls: { readonly defaultExpiresIn: number; readonly maxExpiresIn: number };
  /**
   * The account has flexible variants enabled (`PATCH /v1/config`), which the API cannot be asked:
   * off, `transform` and `srcset` are refused instead of giving URLs that do not load.
   */
  readonly flexibleVariants: boolean;
  /** Emulator latency (ms) when the embedded emulator runs; for demos of batching. */
  readonly emulatorLatencyMs: number;
  /** Subscriptions: where their events travel, and how a draft is watched. */
  readonly live: LiveConfig;
  readonly auth: AuthSettings;
  readonly limits: LimitsConfig;
  readonly observability: ObservabilityConfig;
  readonly ops: OpsConfig;
  readonly cors: CorsConfig;
  /** The entity cache across requests (in Redis too when `REDIS_URL` is set). */
  readonly cache: CacheConfig;
  /** The memory limit, and the load shedding and subscription caps that keep the process under it. */
  readonly memory: MemoryConfig;
  readonly execution: ExecutionConfig;
}

/** The upstream request budget: the account's window, shared through Redis by every replica. */
export interface BudgetConfig {
  readonly limit: number;
  readonly windowSeconds: number;
  /** Absent: the budget lives in this process alone. */
  readonly redisUrl: string | undefined;
  /** Replicas sharing the account: each one's share of the budget while Redis cannot be reached. */
  readonly replicas: number;
  /** The most of the window one caller may take (0 < share <= 1). */
  readonly callerShare: number;
}

export interface CorsConfig {
  /** `"*"`: any origin may read answers; otherwise exactly these origins (none when empty). */
  readonly origins: "*" | readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` (cookies); only with an explicit list. */
  readonly credentials: boolean;
}

export interface LiveConfig {
  /** Absent: `imageChanged` events stay in this process; set: they reach every replica on this Redis. */
  readonly redisUrl: string | undefined;
  /** `imageReady`: the first wait between two looks at a draft, growing by half each time up to the max. */
  readonly readyPollIntervalMs: number;
  readonly readyPollMaxIntervalMs: number;
}

/** Where `/metrics` and `/readiness` are served, and to whom. */
export interface OpsConfig {
  /** A second listener for them alone; absent: they are on the public port. */
  readonly port: number | undefined;
  readonly host: string;
  /** When set, they answer only `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
}

/** The Prometheus exporters' customary port. */
export const DEFAULT_OPS_PORT = 9464;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ObservabilityConfig {
  readonly logLevel: LogLevel;
  /** Serve Prometheus metrics at `/metrics`. */
  readonly metrics: boolean;
  /** How long one upstream probe answers `/readiness`, so probes do not spend the upstream budget. */
  readonly readinessCacheSeconds: number;
  /** Absent: no tracing. */
  readonly tracing: TracingConfig | undefined;
}

export interface TracingConfig {
  /** Full OTLP/HTTP traces URL, e.g. `http://collector:4318/v1/traces`. */
  readonly tracesUrl: string;
  readonly serviceName: string;
  /** Sent to the collector (often a credential): never logged. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface UpstreamConfig {
  readonly baseUrl: string;
  /** Cloudflare's batch host; absent: the global API serves every call. */
  readonly batchBaseUrl?: string | undefined;
  readonly accountId: string;
  readonly token: string;
}

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export const DEFAULT_API_BASE_URL = "https://api.cloudflare.com/client/v4";
export const DEFAULT_BATCH_BASE_URL = "https://batch.imagedelivery.net";

/** Reads and validates the configuration; throws one ConfigError naming every bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);

  const token = read.string("CLOUDFLARE_API_TOKEN");
  const accountId = read.string("CLOUDFLARE_ACCOUNT_ID");
  const baseUrl = read.url("CLOUDFLARE_API_BASE_URL", DEFAULT_API_BASE_URL);
  const batchBaseUrl = read.url("CLOUDFLARE_BATCH_BASE_URL", DEFAULT_BATCH_BASE_URL);
  if (token && !accountId) problems.push("CLOUDFLARE_ACCOUNT_ID is required when CLOUDFLARE_API_TOKEN is set");
  if (accountId && !token) problems.push("CLOUDFLARE_API_TOKEN is required when CLOUDFLARE_ACCOUNT_ID is set");

  // Read first: the defaults of the caches and concurrencies below are sized from the memory limit.
  const memory = readMemoryConfig(read);
  const sized = sizedFor(memory.limit?.bytes);
  const config: Config = {
    port: read.integer("PORT", 4000, 0, 65_535),
    host: read.string("HOST") ?? "127.0.0.1",
    shutdownTimeoutMs: read.integer("SHUTDOWN_TIMEOUT_MS", 10_000, 0, 600_000),
    upstream: token && accountId ? { baseUrl, batchBaseUrl, accountId, token } : undefined,
    budget: {
      limit: read.integer("UPSTREAM_BUDGET", 1200, 1, 1_000_000),
      windowSeconds: read.integer("UPSTREAM_BUDGET_WINDOW_SECONDS", 300, 1, 86_400),
      // Checked by readLive, which reads the same variable for subscriptions.
      redisUrl: read.string("REDIS_URL"),
      replicas: read.integer("UPSTREAM_REPLICAS", 1, 1, 1000),
      callerShare: read.fraction("UPSTREAM_CALLER_SHARE", 0.5),
    },
    upstreamBatch: read.oneOf("UPSTREAM_BATCH", ["auto", "off"] as const) ?? "auto",
    http: {
      connections: read.integer("UPSTREAM_CONNECTIONS", 16, 1, 1024),
      uploadConnections: read.integer("MAX_CONCURRENT_UPLOADS", sized.uploadConcurrency, 1, 1024),
      connectTimeoutMs: read.integer("UPSTREAM_CONNECT_TIMEOUT_MS", 5_000, 1, 600_000),
      requestTimeoutMs: read.integer("UPSTREAM_TIMEOUT_MS", 30_000, 1, 600_000),
      deadlineMs: read.integer("UPSTREAM_DEADLINE_MS", 10_000, 1, 600_000),
      retries: read.integer("UPSTREAM_RETRIES", 2, 0, 10),
      retryBaseDelayMs: read.integer("UPSTREAM_RETRY_BASE_DELAY_MS", 200, 0, 60_000),
      maxRetryAfterSeconds: read.integer("UPSTREAM_MAX_RETRY_AFTER_SECONDS", 5, 0, 600),
    },
    loaderConcurrency: read.integer("LOADER_CONCURRENCY", sized.loaderConcurrency, 1, 1000),
    upstreamPageSize: read.integer("UPSTREAM_PAGE_SIZE", 1000, 10, 10_000),
    signedUrls: {
      defaultExpiresIn: read.integer("SIGNED_URL_DEFAULT_EXPIRES_IN", 3600, 1, 31_536_000),
      maxExpiresIn: read.integer("SIGNED_URL_MAX_EXPIRES_IN", 7 * 86_400, 1, 31_536_000),
    },
    // The embedded emulator starts with them on; a real account has them off until enabled.
    flexibleVariants: read.boolean("FLEXIBLE_VARIANTS", token === undefined),
    emulatorLatencyMs: read.integer("EMULATOR_LATENCY_MS", 0, 0, 60_000),
    live: readLive(read, problems),
    auth: readAuth(read, problems, token !== undefined),
    limits: readLimits(read, problems, token === undefined),
    observability: readObservabilityConfig(read, problems),
    ops: readOps(read, problems, token !== undefined),
    cors: readCors(read, problems, token === undefined),
    cache: readCacheConfig(read, sized.cacheMaxBytes),
    memory,
    execution: readExecutionConfig(read),
  };
  if (config.signedUrls.defaultExpiresIn > config.signedUrls.maxExpiresIn) {
    problems.push("SIGNED_URL_DEFAULT_EXPIRES_IN must not exceed SIGNED_URL_MAX_EXPIRES_IN");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

// ---- Security: authentication and abuse limits (issue 7) ----

export interface LimitsConfig {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxTokens: number;
  /** Pothos complexity: `first`/`last` multiply, upstream-calling fields weigh more. */
  readonly maxCost: number;
  /** Upstream calls one request may cause at most, estimated before any call. */
  readonly maxUpstreamCalls: number;
  /** Bytes of a JSON or GET request (the operation and its variables). */
  readonly maxBodyBytes: number;
  /** Bytes of one uploaded file: the upstream's own 10 MB limit. */
  readonly maxUploadBytes: number;
  /** A multipart body that sends nothing for this long is cut off. */
  readonly uploadIdleTimeoutMs: number;
  readonly introspection: boolean;
  readonly graphiql: boolean;
  /** Trusted-documents mode: only these documents (by sha256 hex) run; absent: any document. */
  readonly trustedDocuments: ReadonlyMap<string, string> | undefined;
}

export const UPSTREAM_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

function readAuth(read: EnvReader, problems: string[], realCredentials: boolean): AuthSettings {
  const mode = read.oneOf("AUTH_MODE", AUTH_MODES);
  const allowUnauthenticated = read.boolean("ALLOW_UNAUTHENTICATED", false);
  if (mode === undefined) {
    if (realCredentials && read.string("AUTH_MODE") === undefined) {
      problems.push(
        "AUTH_MODE is required with real Cloudflare credentials: api-key, jwt or forward " +
          "(or none with ALLOW_UNAUTHENTICATED=true, which lets anyone reach the account)",
      );
    }
    return { mode: "none" };
  }
  if (mode === "none" && realCredentials && !allowUnauthenticated) {
    problems.push("AUTH_MODE=none with real Cloudflare credentials also needs ALLOW_UNAUTHENTICATED=true");
  }
  if (mode === "api-key") {
    const raw = read.string("API_KEYS");
    if (raw === undefined) problems.push("API_KEYS is required when AUTH_MODE=api-key");
    return { mode, keys: raw === undefined ? [] : parseApiKeys(raw, problems) };
  }
  if (mode === "jwt") {
    const jwksUrl = read.string("JWT_JWKS_URL") === undefined ? undefined : read.url("JWT_JWKS_URL", "");
    const secret = read.string("JWT_SECRET");
    const issuer = read.string("JWT_ISSUER") ?? "";
    const audience = read.string("JWT_AUDIENCE") ?? "";
    if ((jwksUrl === undefined) === (secret === undefined)) {
      problems.push("AUTH_MODE=jwt needs exactly one of JWT_JWKS_URL and JWT_SECRET");
    }
    // RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
    if (secret !== undefined && Buffer.byteLength(secret) < 32) problems.push("JWT_SECRET must be at least 32 bytes");
    if (!issuer) problems.push("JWT_ISSUER is required when AUTH_MODE=jwt");
    if (!audience) problems.push("JWT_AUDIENCE is required when AUTH_MODE=jwt");
    const maxAgeSeconds = read.integer("JWT_MAX_AGE_SECONDS", 86_400, 60, 31_536_000);
    return { mode, jwt: { ...(secret ? { secret } : { jwksUrl }), issuer, audience, maxAgeSeconds } };
  }
  return { mode };
}

function readLimits(read: EnvReader, problems: string[], development: boolean): LimitsConfig {
  return {
    maxDepth: read.integer("MAX_DEPTH", 10, 1, 100),
    maxAliases: read.integer("MAX_ALIASES", 30, 0, 1000),
    maxTokens: read.integer("MAX_TOKENS", 2000, 10, 100_000),
    maxCost: read.integer("MAX_COST", 10_000, 1, 10_000_000),
    maxUpstreamCalls: read.integer("MAX_UPSTREAM_CALLS_PER_REQUEST", 100, 1, 10_000),
    maxBodyBytes: read.integer("MAX_BODY_BYTES", 100_000, 1000, 10_000_000),
    maxUploadBytes: read.integer("MAX_UPLOAD_BYTES", UPSTREAM_MAX_UPLOAD_BYTES, 1, UPSTREAM_MAX_UPLOAD_BYTES),
    uploadIdleTimeoutMs: read.integer("UPLOAD_IDLE_TIMEOUT_MS", 15_000, 100, 600_000),
    introspection: read.boolean("INTROSPECTION", development),
    graphiql: read.boolean("GRAPHIQL", development),
    trustedDocuments: readTrustedDocuments(read.string("TRUSTED_DOCUMENTS_FILE"), problems),
  };
}

/**
 * With real credentials the ops endpoints are closed by default: on a listener of their own (which
 * the network keeps private) or behind a token. With the emulator they stay on the one port.
 */
function readOps(read: EnvReader, problems: string[], realCredentials: boolean): OpsConfig {
  const raw = read.string("OPS_PORT");
  const port =
    raw === "off"
      ? undefined
      : raw === undefined
        ? realCredentials
          ? DEFAULT_OPS_PORT
          : undefined
        : read.integer("OPS_PORT", DEFAULT_OPS_PORT, 0, 65_535);
  const token = read.string("OPS_TOKEN");
  if (token !== undefined && token.length < 16) problems.push("OPS_TOKEN must be at least 16 characters");
  if (realCredentials && port === undefined && token === undefined) {
    problems.push("With real credentials, /metrics and /readiness need OPS_PORT or OPS_TOKEN (OPS_PORT=off given)");
  }
  return { port, host: read.string("OPS_HOST") ?? read.string("HOST") ?? "127.0.0.1", token };
}

function readLive(read: EnvReader, problems: string[]): LiveConfig {
  const redisUrl = read.string("REDIS_URL");
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    // The URL may hold a password: name the variable, never echo it.
    problems.push("REDIS_URL must be a redis:// or rediss:// URL");
  }
  // At least 250 ms apart: never more than 4 calls a second for one draft, however many watch it.
  const readyPollIntervalMs = read.integer("IMAGE_READY_POLL_INTERVAL_MS", 1000, 250, 60_000);
  const readyPollMaxIntervalMs = read.integer("IMAGE_READY_POLL_MAX_INTERVAL_MS", 10_000, 250, 600_000);
  if (readyPollMaxIntervalMs < readyPollIntervalMs) {
    problems.push("IMAGE_READY_POLL_MAX_INTERVAL_MS must not be below IMAGE_READY_POLL_INTERVAL_MS");
  }
  return { redisUrl, readyPollIntervalMs, readyPollMaxIntervalMs };
}

/** A JSON object of `sha256-hex → document`, the manifest clients' build tools emit. */
function readTrustedDocuments(path: string | undefined, problems: string[]): ReadonlyMap<string, string> | undefined {
  if (path === undefined) return undefined;
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    problems.push(`TRUSTED_DOCUMENTS_FILE could not be read as JSON (${(error as Error).message})`);
    return undefined;
  }
  const entries = typeof manifest === "object" && manifest !== null ? Object.entries(manifest) : [];
  if (entries.length === 0 || entries.some(([, document]) => typeof document !== "string")) {
    problems.push("TRUSTED_DOCUMENTS_FILE must hold a non-empty JSON object of hash → GraphQL document");
    return undefined;
  }
  return new Map(entries as [string, string][]);
}

/** Any origin with the embedded emulator (a local demo); none with real credentials until listed. */
function readCors(read: EnvReader, problems: string[], development: boolean): CorsConfig {
  const raw = read.string("CORS_ORIGINS");
  const credentials = read.boolean("CORS_ALLOW_CREDENTIALS", false);
  const entries = (raw ?? (development ? "*" : ""))
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  if (entries.includes("*")) {
    if (credentials) problems.push("CORS_ALLOW_CREDENTIALS=true needs CORS_ORIGINS to list origins, not *");
    return { origins: "*", credentials: false };
  }
  const origins: string[] = [];
  for (const entry of entries) {
    let origin: string | undefined;
    try {
      origin = new URL(entry).origin;
    } catch {}
    if (origin === undefined || origin === "null" || origin !== entry.replace(/\/$/, "").toLowerCase()) {
      problems.push(`CORS_ORIGINS entries must be origins like https://app.example.com, or * (got "${entry}")`);
    } else origins.push(origin);
  }
  return { origins, credentials };
}

function readObservabilityConfig(read: EnvReader, problems: string[]): ObservabilityConfig {
  const logLevel = read.string("LOG_LEVEL")?.toLowerCase() ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")} (got "${logLevel}")`);
  }
  const metrics = read.string("METRICS")?.toLowerCase() ?? "true";
  if (metrics !== "true" && metrics !== "false") problems.push(`METRICS must be true or false (got "${metrics}")`);

  // The OpenTelemetry names and rules: the generic endpoint gets `/v1/traces` appended, the signal-specific one is used as is.
  const endpoint = read.url("OTEL_EXPORTER_OTLP_ENDPOINT", "");
  const tracesEndpoint = read.url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "");
  const tracesUrl = tracesEndpoint || (endpoint ? `${endpoint}/v1/traces` : "");
  const headers: Record<string, string> = {};
  for (const pair of (read.string("OTEL_EXPORTER_OTLP_HEADERS") ?? "").split(",").filter((p) => p.trim())) {
    const at = pair.indexOf("=");
    try {
      if (at <= 0) throw new URIError("no name");
      headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // The value may be a credential: name the variable, never echo it.
      problems.push("OTEL_EXPORTER_OTLP_HEADERS must be comma-separated name=value pairs (URL-encoded)");
      break;
    }
  }
  return {
    logLevel: logLevel as LogLevel,
    metrics: metrics !== "false",
    readinessCacheSeconds: read.integer("READINESS_CACHE_SECONDS", 10, 0, 3600),
    tracing: tracesUrl
      ? { tracesUrl, serviceName: read.string("OTEL_SERVICE_NAME") ?? "cloudflare-images-graphql", headers }
      : undefined,
  };
}

export class EnvReader {
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #problems: string[];

  constructor(env: Readonly<Record<string, string | undefined>>, problems: string[]) {
    this.#env = env;
    this.#problems = problems;
  }

  string(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    return value === "" ? undefined : value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.#problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (raw === "true" || raw === "false") return raw === "true";
    this.#problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  /** A number in (0, 1]. */
  fraction(name: string, fallback: number): number {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d*\.?\d+$/.test(raw) || !(value > 0 && value <= 1)) {
      this.#problems.push(`${name} must be a number above 0 and at most 1 (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const raw = this.string(name);
    if (raw === undefined || (values as readonly string[]).includes(raw)) return raw as T | undefined;
    this.#problems.push(`${name} must be one of ${values.join(", ")} (got "${raw}")`);
    return undefined;
  }

  url(name: string, fallback: string): string {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    try {
      const url = new URL(raw);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("protocol");
      return raw.replace(/\/$/, "");
    } catch {
      this.#problems.push(`${name} must be an http(s) URL (got "${raw}")`);
      return fallback;
    }
  }
}
