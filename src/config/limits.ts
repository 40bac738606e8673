import { readFileSync } from "node:fs";
import { declareVariables, type EnvReader } from "./env-reader.ts";

export const UPSTREAM_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

export const LIMITS_VARIABLES = declareVariables({
  MAX_DEPTH: { type: "integer", default: 10, min: 1, max: 100, description: "Selection depth of an operation." },
  MAX_ALIASES: { type: "integer", default: 30, min: 0, max: 1000, description: "Aliases per operation." },
  MAX_TOKENS: { type: "integer", default: 2000, min: 10, max: 100_000, description: "Tokens in a document." },
  MAX_COST: {
    type: "integer",
    default: 10_000,
    min: 1,
    max: 10_000_000,
    description: "Cost of an operation (Pothos complexity: `first`/`last` multiply, upstream calls weigh more).",
  },
  MAX_UPSTREAM_CALLS_PER_REQUEST: {
    type: "integer",
    default: 100,
    min: 1,
    max: 10_000,
    description: "Upstream calls one operation could cause, estimated before any call.",
  },
  MAX_BODY_BYTES: {
    type: "integer",
    default: 100_000,
    min: 1000,
    max: 10_000_000,
    description: "Bytes of a JSON or GET request (the operation and its variables).",
  },
  MAX_UPLOAD_BYTES: {
    type: "integer",
    default: UPSTREAM_MAX_UPLOAD_BYTES,
    min: 1,
    max: UPSTREAM_MAX_UPLOAD_BYTES,
    description: "Bytes of one uploaded file (the upstream's own 10 MB limit cannot be raised).",
  },
  UPLOAD_IDLE_TIMEOUT_MS: {
    type: "integer",
    default: 15_000,
    min: 100,
    max: 600_000,
    description: "A multipart body that sends nothing for this long is cut off.",
  },
  INTROSPECTION: {
    type: "boolean",
    defaultText: "`true` with the emulator, `false` with real credentials",
    description: "Answer `__schema` and `__type`.",
  },
  GRAPHIQL: {
    type: "boolean",
    defaultText: "`true` with the emulator, `false` with real credentials",
    description: "Serve GraphiQL at `/graphql` and the gallery at `/gallery`.",
  },
  TRUSTED_DOCUMENTS_FILE: {
    type: "text",
    format: 'a file path: JSON object `{ "<sha256-hex>": "<document>" }`',
    description: "Trusted-documents mode: only the documents in this file run. Unset: any document.",
  },
});

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

export function readLimitsConfig(read: EnvReader, { development }: { development: boolean }): LimitsConfig {
  const v = LIMITS_VARIABLES;
  return {
    maxDepth: read.integer(v.MAX_DEPTH),
    maxAliases: read.integer(v.MAX_ALIASES),
    maxTokens: read.integer(v.MAX_TOKENS),
    maxCost: read.integer(v.MAX_COST),
    maxUpstreamCalls: read.integer(v.MAX_UPSTREAM_CALLS_PER_REQUEST),
    maxBodyBytes: read.integer(v.MAX_BODY_BYTES),
    maxUploadBytes: read.integer(v.MAX_UPLOAD_BYTES),
    uploadIdleTimeoutMs: read.integer(v.UPLOAD_IDLE_TIMEOUT_MS),
    introspection: read.boolean(v.INTROSPECTION, development),
    graphiql: read.boolean(v.GRAPHIQL, development),
    trustedDocuments: readTrustedDocuments(read.text(v.TRUSTED_DOCUMENTS_FILE), read),
  };
}

/** A JSON object of `sha256-hex → document`, the manifest clients' build tools emit. */
function readTrustedDocuments(path: string | undefined, read: EnvReader): ReadonlyMap<string, string> | undefined {
  if (path === undefined) return undefined;
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    read.problem(`TRUSTED_DOCUMENTS_FILE could not be read as JSON (${(error as Error).message})`);
    return undefined;
  }
  const entries = typeof manifest === "object" && manifest !== null ? Object.entries(manifest) : [];
  if (entries.length === 0 || entries.some(([, document]) => typeof document !== "string")) {
    read.problem("TRUSTED_DOCUMENTS_FILE must hold a non-empty JSON object of hash → GraphQL document");
    return undefined;
  }
  return new Map(entries as [string, string][]);
}
