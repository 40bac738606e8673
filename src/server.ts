import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { App } from "./app.ts";
import type { OpsServerContext } from "./plugins/use-ops-access.ts";

export interface RunningServer {
  url: URL;
  server: Server;
  /** The ops listener's URL (`/metrics`, `/readiness`, `/health`), when it runs. */
  opsUrl: URL | undefined;
  /**
   * Stops accepting, lets in-flight requests finish, then closes the upstream pool. Past
   * `timeoutMs`, the connections still open are closed and upstream calls cut (and `onForced` told).
   */
  close(options?: { timeoutMs?: number; onForced?: () => void }): Promise<void>;
}

/** A listener could not take its address: which one, where, and the system's code (`EADDRINUSE`, `EACCES`, …). */
export class ListenError extends Error {
  readonly listener: "public" | "ops";
  readonly host: string;
  readonly port: number;
  readonly code: string | undefined;

  constructor(listener: "public" | "ops", address: { host: string; port: number }, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    super(`Cannot listen on ${address.host}:${address.port} (${code ?? String(cause)})`, { cause });
    this.name = "ListenError";
    this.listener = listener;
    this.host = address.host;
    this.port = address.port;
    this.code = code;
  }
}

const SHUTTING_DOWN = JSON.stringify({ errors: [{ message: "The server is shutting down: retry the request." }] });

export async function startServer(
  app: App,
  options: { host: string; port: number; ops?: { host: string; port: number } | undefined },
): Promise<RunningServer> {
  let closing = false;
  // A request that arrives on a kept-alive connection after shutdown began is refused, not started.
  const refusingWhenClosing =
    (handle: (request: IncomingMessage, response: ServerResponse) => void) =>
    (request: IncomingMessage, response: ServerResponse) => {
      if (!closing) return handle(request, response);
      response.writeHead(503, { "content-type": "application/json", connection: "close", "retry-after": "1" });
      response.end(SHUTTING_DOWN);
    };
  const server = createHttpServer(refusingWhenClosing((request, response) => void app.yoga(request, response)));
  const url = await listen(server, options, "public");
  // The same app, its requests marked as the ops listener's: useOpsAccess lets only them reach /metrics and /readiness.
  const opsServer =
    options.ops &&
    createHttpServer(
      refusingWhenClosing(
        (request, response) => void app.yoga(request, response, { opsListener: true } satisfies OpsServerContext),
      ),
    );
  const opsUrl =
    opsServer && options.ops ? await listen(opsServer, options.ops, "ops").catch(closeOnFailure(server)) : undefined;
  const servers = opsServer ? [server, opsServer] : [server];
  return {
    url,
    server,
    opsUrl,
    close: async ({ timeoutMs = Number.POSITIVE_INFINITY, onForced } = {}) => {
      closing = true;
      const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      // A connection whose last response has just been written (or a subscription just completed) is idle
      // from then on: close it too.
      const sweep = setInterval(() => {
        for (const s of servers) s.closeIdleConnections();
      }, 50);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<false>((resolve) => {
        if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve(false), timeoutMs);
      });
      for (const s of servers) s.closeIdleConnections();
      app.endSubscriptions();
      const inTime = await Promise.race([closed.then(() => true as const), late]);
      clearInterval(sweep);
      clearTimeout(timer);
      if (!inTime) {
        onForced?.();
        for (const s of servers) s.closeAllConnections();
        await closed;
      }
      await app.close({ force: !inTime });
    },
  };
}

/** The public listener is closed again when the ops one cannot start, so the caller is left with nothing open. */
function closeOnFailure(server: Server) {
  return (error: unknown): never => {
    server.close();
    throw error;
  };
}

async function listen(
  server: Server,
  options: { host: string; port: number },
  listener: "public" | "ops",
): Promise<URL> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(new ListenError(listener, options, error)));
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return new URL(`http://${host}:${address.port}`);
}
