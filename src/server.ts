import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { App } from "./app.ts";
import type { OpsServerContext } from "./plugins/use-ops-access.ts";

export interface RunningServer {
  url: URL;
  server: Server;
  /** The ops listener's URL (`/metrics`, `/readiness`, `/health`), when it runs. */
  opsUrl: URL | undefined;
  /** Stops accepting, lets in-flight requests finish, then closes the upstream pool. */
  close(): Promise<void>;
}

export async function startServer(
  app: App,
  options: { host: string; port: number; ops?: { host: string; port: number } | undefined },
): Promise<RunningServer> {
  const server = createHttpServer(app.yoga);
  const url = await listen(server, options);
  // The same app, its requests marked as the ops listener's: useOpsAccess lets only them reach /metrics and /readiness.
  const opsServer =
    options.ops && createHttpServer((req, res) => app.yoga(req, res, { opsListener: true } satisfies OpsServerContext));
  const opsUrl = opsServer && options.ops ? await listen(opsServer, options.ops) : undefined;
  const stop = (s: Server) => {
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeIdleConnections();
    // Answers that end later (subscriptions being completed) leave idle keep-alive connections behind.
    const sweep = setInterval(() => s.closeIdleConnections(), 50);
    return closed.finally(() => clearInterval(sweep));
  };
  return {
    url,
    server,
    opsUrl,
    close: async () => {
      const stopped = Promise.all([stop(server), opsServer && stop(opsServer)]);
      app.endSubscriptions();
      await stopped;
      await app.close();
    },
  };
}

async function listen(server: Server, options: { host: string; port: number }): Promise<URL> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return new URL(`http://${host}:${address.port}`);
}
