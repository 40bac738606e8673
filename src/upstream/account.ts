import { UpstreamInvalidIdError } from "./errors.ts";
import type { HttpMethod, StreamedAnswer, UpstreamRequest } from "./http-types.ts";
import type { Transport } from "./transport.ts";

/** The longest id the upstream stores (custom image ids; variant and key names are shorter). */
export const MAX_UPSTREAM_ID_CHARS = 1024;

/** Whether the upstream can take this id in a path: well-formed text within its length. */
export function isAcceptableId(id: string): boolean {
  return id.isWellFormed() && id.length <= MAX_UPSTREAM_ID_CHARS;
}

/** What every call of one api carries: a request's abort signal and whose budget share it spends. */
export interface CallBinding {
  /** The GraphQL request's: every call stops when its client goes away. */
  signal?: AbortSignal | undefined;
  /** Whose share of the upstream budget the calls spend (none: the server's own calls). */
  caller?: string | undefined;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /**
   * Identical GETs in flight share one call only when their tags match. The entity cache tags its
   * reads with the versions it read first, so a reader who has seen a write (perhaps another
   * replica's) never joins a call that began before it.
   */
  coalesceTag?: string | undefined;
  /**
   * A read that gates a write (is this name taken?) must see the upstream as it is now: a cache in
   * front of the api reads through for it, and keeps what it read.
   */
  fresh?: boolean | undefined;
}

/**
 * One account seen with one credential: builds paths under `/accounts/{account_id}/images` and
 * hands every call to the transport. The resource modules only name routes and parse results.
 */
export class AccountCaller {
  readonly #transport: Transport;
  readonly #accountId: string;
  readonly #token: string;
  readonly #binding: CallBinding;

  /** `binding`: what every call made through this caller carries unless it brings its own. */
  constructor(transport: Transport, accountId: string, token: string, binding: CallBinding = {}) {
    this.#transport = transport;
    this.#accountId = accountId;
    this.#token = token;
    this.#binding = binding;
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
    const template = `/accounts/{account_id}/images${route}`;
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = all[name] ?? "";
      if (!isAcceptableId(value)) {
        throw new UpstreamInvalidIdError(
          `Cloudflare Images ${template}: the ${name} is not an id it accepts`,
          template,
        );
      }
      return encodeURIComponent(value);
    });
    return {
      method,
      route: `/accounts/{account_id}/images${route}`,
      path,
      token: this.#token,
      query: options.query,
      json: options.json,
      body: options.body,
      signal: options.signal ?? this.#binding.signal,
      caller: this.#binding.caller,
      coalesceTag: options.coalesceTag,
    };
  }
}
