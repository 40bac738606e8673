// What src/main.ts starts: the configuration, the emulator when no token is set, the app and its listeners.
import { createApp } from "./app.ts";
import { CatalogueDirInUseError } from "./catalogue/sqlite-store.ts";
import { type Config, ConfigError, loadConfig, type UpstreamConfig } from "./config/index.ts";
import { createLogger, stdoutDestination } from "./logger.ts";
import { ListenError, startServer } from "./server.ts";

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const logger = createLogger(config.observability.logLevel, stdoutDestination());

let upstream: UpstreamConfig;
let closeEmulator = async () => {};
if (config.upstream) {
  upstream = config.upstream;
  logger.info(`Using Cloudflare Images at ${upstream.baseUrl} (account ${upstream.accountId}).`);
} else {
  // Loaded only here: a server with real credentials never holds the emulator's code.
  const { startEmulator } = await import("./emulator/index.ts");
  const emulator = await startEmulator({ host: "127.0.0.1", port: 0, seed: true, latencyMs: config.emulatorLatencyMs });
  upstream = {
    baseUrl: emulator.baseUrl,
    batchBaseUrl: emulator.batchBaseUrl,
    accountId: emulator.accountId,
    token: emulator.token,
  };
  closeEmulator = emulator.close;
  logger.info(
    `No CLOUDFLARE_API_TOKEN set: using the embedded Cloudflare Images emulator at ${emulator.baseUrl} (seeded with sample images).`,
  );
}

const app = (() => {
  try {
    return createApp(config, upstream, { logger });
  } catch (error) {
    if (!(error instanceof CatalogueDirInUseError)) throw error;
    // One line naming the setting to change, not a stack trace.
    console.error(error.message);
    process.exit(1);
  }
})();
const { ops } = config;
const server = await startServer(app, {
  host: config.host,
  port: config.port,
  ops: ops.port === undefined ? undefined : { host: ops.host, port: ops.port },
}).catch((error: unknown) => {
  if (!(error instanceof ListenError)) throw error;
  // One line naming the setting to change, not a stack trace.
  console.error(listenFailure(error));
  process.exit(1);
});
// The URL is followed by a space so that it can be picked out of the JSON line.
logger.info(
  `GraphiQL: ${new URL("/graphql", server.url)} (gateways: /subgraph, health: /health, readiness: /readiness)`,
);
if (server.opsUrl) logger.info(`Ops endpoints (/metrics, /readiness, /health) on ${server.opsUrl} `);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: finishing in-flight requests, then stopping.`);
    const timeoutMs = config.shutdownTimeoutMs;
    // Whatever still holds the event loop (an emulator call, a stuck exporter) must not keep the process.
    setTimeout(() => process.exit(0), timeoutMs + 1000).unref();
    const onForced = () => logger.warn(`Requests still running after ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS) are cut.`);
    void server
      .close({ timeoutMs, onForced })
      .then(closeEmulator)
      .catch((error: unknown) => logger.error({ err: error }, "shutdown failed"))
      .finally(() => process.exit(0));
  });
}

/** What went wrong when a listener could not start, naming the variable that sets its address. */
function listenFailure(error: ListenError): string {
  const [portVariable, hostVariable] = error.listener === "ops" ? ["OPS_PORT", "OPS_HOST"] : ["PORT", "HOST"];
  const where = `Cannot listen on ${error.host}:${error.port}`;
  switch (error.code) {
    case "EADDRINUSE":
      return `${where}: the port is already in use (another server?); set ${portVariable} to a free port.`;
    case "EACCES":
      return `${where}: permission denied (ports below 1024 need privileges); set ${portVariable} to another port.`;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `${where}: ${error.host} is not an address of this machine; check ${hostVariable}.`;
    default:
      return `${where} (${error.code ?? "unknown error"}); check ${portVariable} and ${hostVariable}.`;
  }
}
