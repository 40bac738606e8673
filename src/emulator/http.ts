import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";

/** An error item of the Cloudflare API envelope. */
export interface ApiErrorItem {
  code: number;
  message: string;
  error_chain?: ApiErrorItem[];
}

/** A failure the router turns into the API's failure envelope. */
export class ApiError extends Error {
  readonly status: number;
  readonly errors: ApiErrorItem[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, errors: ApiErrorItem[], headers: Record<string, string> = {}) {
    super(errors.map((e) => `${e.code}: ${e.message}`).join("; "));
    this.status = status;
    this.errors = errors;
    this.headers = headers;
  }
}

/** Returned by a handler (or a fault) to make the server destroy the socket without answering. */
export const DROP_CONNECTION = new Response(null, { status: 599, statusText: "drop" });

export function envelope(result: unknown, extra: Record<string, unknown> = {}): Response {
  return Response.json({ result, success: true, errors: [], messages: [], ...extra });
}

export function failureResponse(error: ApiError): Response {
  return Response.json(
    { result: null, success: false, errors: error.errors, messages: [] },
    { status: error.status, headers: error.headers },
  );
}

export interface RouteMatch<C> {
  handler: RouteHandler<C>;
  params: Record<string, string>;
  /** e.g. `GET /accounts/{account_id}/images/v1/{image_id}`, the key request counters use. */
  route: string;
}

export type RouteHandler<C> = (
  request: Request,
  params: Record<string, string>,
  ctx: C,
) => Promise<Response> | Response;

interface Route<C> {
  method: string;
  template: string;
  segments: string[];
  handler: RouteHandler<C>;
}

/**
 * A small path router. Templates use `{name}` for one path segment and `{name+}` for the rest of
 * the path (custom image ids may hold `/` in delivery URLs). Static segments win over parameters,
 * the leftmost difference deciding.
 */
export class Router<C> {
  readonly #routes: Route<C>[] = [];

  add(method: string, template: string, handler: RouteHandler<C>): this {
    this.#routes.push({ method, template, segments: template.split("/").slice(1), handler });
    return this;
  }

  /** The handler registered for exactly this method and template, so another router can serve it too. */
  handlerOf(method: string, template: string): RouteHandler<C> | undefined {
    return this.#routes.find((route) => route.method === method && route.template === template)?.handler;
  }

  /** Returns the match, `"method"` when only the method differs, or undefined. */
  match(method: string, pathname: string): RouteMatch<C> | "method" | undefined {
    const parts = pathname.split("/").slice(1);
    let best: { route: Route<C>; params: Record<string, string>; score: number } | undefined;
    let methodMismatch = false;
    for (const route of this.#routes) {
      const matched = matchSegments(route.segments, parts);
      if (!matched) continue;
      if (route.method !== method) {
        methodMismatch = true;
        continue;
      }
      if (!best || matched.score > best.score) best = { route, params: matched.params, score: matched.score };
    }
    if (best) return { handler: best.route.handler, params: best.params, route: `${method} ${best.route.template}` };
    return methodMismatch ? "method" : undefined;
  }
}

function matchSegments(
  template: string[],
  parts: string[],
): { params: Record<string, string>; score: number } | undefined {
  const params: Record<string, string> = {};
  let score = 0;
  for (let i = 0; i < template.length; i++) {
    const segment = template[i] as string;
    if (segment.startsWith("{") && segment.endsWith("+}")) {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.some((p) => p === "")) return undefined;
      params[segment.slice(1, -2)] = rest.join("/");
      return { params, score };
    }
    const part = parts[i];
    if (part === undefined || part === "") return undefined;
    if (segment.startsWith("{")) {
      params[segment.slice(1, -1)] = safeDecode(part);
    } else if (segment === part) {
      // A static segment outweighs every segment after it: `/v1/variants/{id}` beats `/v1/{id}/blob`.
      score += 2 ** (template.length - i);
    } else {
      return undefined;
    }
  }
  return parts.length === template.length ? { params, score } : undefined;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export interface ListeningServer {
  server: Server;
  url: URL;
  close(): Promise<void>;
}

/** Serves a fetch-style handler over node:http. */
export async function serve(
  handler: (request: Request) => Promise<Response>,
  options: { host: string; port: number },
): Promise<ListeningServer> {
  const server = createServer((req, res) => {
    void respond(handler, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    url: new URL(`http://${host}:${address.port}`),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function respond(
  handler: (request: Request) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const controller = new AbortController();
  res.on("close", () => controller.abort());
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method: req.method,
    headers: toHeaders(req),
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null,
    duplex: "half",
    signal: controller.signal,
  } as RequestInit);
  let response: Response;
  try {
    response = await handler(request);
  } catch (error) {
    response = failureResponse(
      error instanceof ApiError ? error : new ApiError(500, [{ code: 10001, message: "Internal error" }]),
    );
  }
  if (response === DROP_CONNECTION) {
    req.socket.destroy();
    return;
  }
  res.statusCode = response.status;
  response.headers.forEach((value, key) => {
    res.setHeader(key, value);
  });
  if (!response.body || req.method === "HEAD") {
    res.end();
    return;
  }
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
    }
    res.end();
  } catch {
    res.destroy();
  }
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}
