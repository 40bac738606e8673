import { declareVariables, type EnvReader } from "./env-reader.ts";

export const SERVER_VARIABLES = declareVariables({
  PORT: {
    type: "integer",
    default: 4000,
    min: 0,
    max: 65_535,
    description: "Port the GraphQL server listens on (0: any free port).",
  },
  HOST: {
    type: "text",
    format: "a host name or address",
    default: "127.0.0.1",
    description: "Address the GraphQL server listens on.",
  },
  SHUTDOWN_TIMEOUT_MS: {
    type: "integer",
    default: 10_000,
    min: 0,
    max: 600_000,
    description: "On SIGTERM or SIGINT, how long requests in flight may take before their connections are closed.",
  },
});

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  /** On SIGTERM, how long requests in flight may take before their connections are closed. */
  readonly shutdownTimeoutMs: number;
}

export function readServerConfig(read: EnvReader): ServerConfig {
  const v = SERVER_VARIABLES;
  return {
    port: read.integer(v.PORT),
    host: read.text(v.HOST) ?? "127.0.0.1",
    shutdownTimeoutMs: read.integer(v.SHUTDOWN_TIMEOUT_MS),
  };
}
