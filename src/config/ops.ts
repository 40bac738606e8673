import { declareVariables, type EnvReader } from "./env-reader.ts";

/** The Prometheus exporters' customary port. */
export const DEFAULT_OPS_PORT = 9464;

export const OPS_VARIABLES = declareVariables({
  OPS_PORT: {
    type: "integer",
    default: DEFAULT_OPS_PORT,
    min: 0,
    max: 65_535,
    alsoAccepts: ["off"],
    defaultText: "`9464` with real credentials, none with the emulator",
    description:
      "A second listener serving only `/metrics`, `/readiness` and `/health`; `off`: none (needs OPS_TOKEN with real credentials).",
  },
  OPS_HOST: {
    type: "text",
    format: "a host name or address",
    defaultText: "the value of `HOST`",
    description: "Address the ops listener binds.",
  },
  OPS_TOKEN: {
    type: "text",
    format: "at least 16 characters",
    secret: true,
    description: "When set, `/metrics` and `/readiness` answer only `Authorization: Bearer <OPS_TOKEN>`.",
  },
});

/** Where `/metrics` and `/readiness` are served, and to whom. */
export interface OpsConfig {
  /** A second listener for them alone; absent: they are on the public port. */
  readonly port: number | undefined;
  readonly host: string;
  /** When set, they answer only `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
}

/**
 * With real credentials the ops endpoints are closed by default: on a listener of their own (which
 * the network keeps private) or behind a token. With the emulator they stay on the one port.
 */
export function readOpsConfig(read: EnvReader, given: { realCredentials: boolean; host: string }): OpsConfig {
  const v = OPS_VARIABLES;
  const port = readOpsPort(read, given.realCredentials);
  const token = read.text(v.OPS_TOKEN);
  if (token !== undefined && token.length < 16) read.problem("OPS_TOKEN must be at least 16 characters");
  if (given.realCredentials && port === undefined && token === undefined) {
    read.problem("With real credentials, /metrics and /readiness need OPS_PORT or OPS_TOKEN (OPS_PORT=off given)");
  }
  return { port, host: read.text(v.OPS_HOST) ?? given.host, token };
}

/** `off`, a port, or unset (the default depends on the credentials). */
function readOpsPort(read: EnvReader, realCredentials: boolean): number | undefined {
  const variable = OPS_VARIABLES.OPS_PORT;
  const raw = read.raw(variable);
  if (raw === "off") return undefined;
  if (raw === undefined) return realCredentials ? DEFAULT_OPS_PORT : undefined;
  const port = Number(raw);
  if (!/^-?\d+$/.test(raw) || port < variable.min || port > variable.max) {
    read.problem(`OPS_PORT must be an integer from ${variable.min} to ${variable.max} (got "${raw}")`);
    return DEFAULT_OPS_PORT;
  }
  return port;
}
