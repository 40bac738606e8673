import { declareVariables, type EnvReader } from "./env-reader.ts";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const OBSERVABILITY_VARIABLES = declareVariables({
  LOG_LEVEL: { type: "choice", values: LOG_LEVELS, default: "info", description: "Lowest level logged (any case)." },
  METRICS: { type: "boolean", default: true, description: "Serve Prometheus metrics at `/metrics` (any case)." },
  READINESS_CACHE_SECONDS: {
    type: "integer",
    default: 10,
    min: 0,
    max: 3600,
    description: "How long one upstream probe answers `/readiness`, so probes do not spend the budget.",
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    type: "url",
    description: "OTLP/HTTP collector base URL (`/v1/traces` is appended); set: traces are exported.",
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    type: "url",
    description: "Full OTLP/HTTP traces URL, used as is (wins over the generic endpoint).",
  },
  OTEL_EXPORTER_OTLP_HEADERS: {
    type: "text",
    format: "`name=value` pairs, comma-separated, URL-encoded",
    secret: true,
    description: "Headers sent to the collector.",
  },
  OTEL_SERVICE_NAME: {
    type: "text",
    format: "text",
    default: "cloudflare-images-graphql",
    description: "`service.name` of the exported spans.",
  },
});

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

export function readObservabilityConfig(read: EnvReader): ObservabilityConfig {
  const v = OBSERVABILITY_VARIABLES;
  const logLevel = read.raw(v.LOG_LEVEL)?.toLowerCase() ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    read.problem(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")} (got "${logLevel}")`);
  }
  const metrics = read.raw(v.METRICS)?.toLowerCase() ?? "true";
  if (metrics !== "true" && metrics !== "false") read.problem(`METRICS must be true or false (got "${metrics}")`);

  // The OpenTelemetry names and rules: the generic endpoint gets `/v1/traces` appended, the signal-specific one is used as is.
  const endpoint = read.url(v.OTEL_EXPORTER_OTLP_ENDPOINT);
  const tracesEndpoint = read.url(v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const tracesUrl = tracesEndpoint || (endpoint ? `${endpoint}/v1/traces` : "");
  const headers: Record<string, string> = {};
  for (const pair of (read.text(v.OTEL_EXPORTER_OTLP_HEADERS) ?? "").split(",").filter((p) => p.trim())) {
    const at = pair.indexOf("=");
    try {
      if (at <= 0) throw new URIError("no name");
      headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // The value may be a credential: name the variable, never echo it.
      read.problem("OTEL_EXPORTER_OTLP_HEADERS must be comma-separated name=value pairs (URL-encoded)");
      break;
    }
  }
  const readinessCacheSeconds = read.integer(v.READINESS_CACHE_SECONDS);
  const serviceName = read.text(v.OTEL_SERVICE_NAME) ?? "cloudflare-images-graphql";
  return {
    logLevel: logLevel as LogLevel,
    metrics: metrics !== "false",
    readinessCacheSeconds,
    tracing: tracesUrl ? { tracesUrl, serviceName, headers } : undefined,
  };
}
