import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";

export interface TokenRouter {
  /** The base URL to give the server in place of an emulator's. */
  baseUrl: string;
  /** Sends requests bearing `token` to the emulator at `origin`. */
  route(token: string, origin: string): void;
  /** Where requests with any other token (or none) go. */
  fallback(origin: string): void;
  close(): Promise<void>;
}

/**
 * A small reverse proxy in front of several emulators, one per token, so that one upstream URL
 * serves two accounts with two credentials, as Cloudflare does. Unknown tokens go to `fallback`,
 * which refuses them as the real API would.
 */
export async function startTokenRouter(): Promise<TokenRouter> {
  const targets = new Map<string, string>();
  let fallback = "http://127.0.0.1:9";
  const server = createServer((incoming, outgoing) => {
    const token = /^Bearer (\S+)$/.exec(incoming.headers.authorization ?? "")?.[1] ?? "";
    const target = new URL(incoming.url ?? "/", targets.get(token) ?? fallback);
    const forward = httpRequest(target, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forward.on("error", () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    route: (token, origin) => targets.set(token, origin),
    fallback: (origin) => {
      fallback = origin;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
