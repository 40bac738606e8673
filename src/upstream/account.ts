import type { HttpMethod, StreamedAnswer, Transport, UpstreamRequest } from "./transport.ts";

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * One account seen with one credential: builds paths under `/accounts/{account_id}/images` and
 * hands every call to the transport. The resource modules only name routes and parse results.
 */
export class AccountCaller {
  readonly #transport: Transport;
  readonly #accountId: string;
  readonly #token: string;

  constructor(transport: Transport, accountId: string, token: string) {
    this.#transport = transport;
    this.#accountId = accountId;
    this.#token = token;
  }

  json(
    method: HttpMethod,
    route: string,
    params: Record<string, string>,
    options: CallOptions & Pick<UpstreamRequest, "query" | "json" | "body"> = {},
  ): Promise<unknown> {
    return this.#transport.json(this.#request(method, route, params, options));
  }

  stream(route: string, params: Record<string, string>, options: CallOptions = {}): Promise<StreamedAnswer> {
    return this.#transport.stream(this.#request("GET", route, params, options));
  }

  #request(
    method: HttpMethod,
    route: string,
    params: Record<string, string>,
    options: CallOptions & Pick<UpstreamRequest, "query" | "json" | "body">,
  ): UpstreamRequest {
    const all: Record<string, string> = { account_id: this.#accountId, ...params };
    const path = `/accounts/{account_id}/images${route}`.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(all[name] ?? ""),
    );
    return {
      method,
      route: `/accounts/{account_id}/images${route}`,
      path,
      token: this.#token,
      query: options.query,
      json: options.json,
      body: options.body,
      signal: options.signal,
    };
  }
}
