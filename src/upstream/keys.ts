import type { AccountCaller, CallOptions } from "./account.ts";
import { parseKeys, type SigningKey } from "./wire.ts";

export class SigningKeysApi {
  readonly #call: AccountCaller;

  constructor(call: AccountCaller) {
    this.#call = call;
  }

  async list(options?: CallOptions): Promise<SigningKey[]> {
    const route = "/v1/keys";
    return parseKeys(await this.#call.json("GET", route, {}, options), route);
  }

  /** Creates (or, for an existing name, rotates) a key; answers every key after the change. */
  async create(name: string, options?: CallOptions): Promise<SigningKey[]> {
    const route = "/v1/keys/{signing_key_name}";
    return parseKeys(await this.#call.json("PUT", route, { signing_key_name: name }, options), route);
  }

  /** Answers the keys left (the upstream regenerates `default` after the last one goes). */
  async delete(name: string, options?: CallOptions): Promise<SigningKey[]> {
    const route = "/v1/keys/{signing_key_name}";
    return parseKeys(await this.#call.json("DELETE", route, { signing_key_name: name }, options), route);
  }
}
