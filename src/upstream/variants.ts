import type { AccountCaller, CallOptions } from "./account.ts";
import { parseVariantMap, parseWrappedVariant, type Variant, type VariantOptions } from "./wire.ts";

export class VariantsApi {
  readonly #call: AccountCaller;

  constructor(call: AccountCaller) {
    this.#call = call;
  }

  async list(options?: CallOptions): Promise<Variant[]> {
    const route = "/v1/variants";
    return parseVariantMap(await this.#call.json("GET", route, {}, options), route);
  }

  async get(name: string, options?: CallOptions): Promise<Variant> {
    const route = "/v1/variants/{variant_id}";
    return parseWrappedVariant(await this.#call.json("GET", route, { variant_id: name }, options), route);
  }

  async create(
    variant: { id: string; options: VariantOptions; neverRequireSignedURLs?: boolean },
    options?: CallOptions,
  ): Promise<Variant> {
    const route = "/v1/variants";
    return parseWrappedVariant(await this.#call.json("POST", route, {}, { ...options, json: variant }), route);
  }

  async update(
    name: string,
    change: { options: VariantOptions; neverRequireSignedURLs?: boolean },
    options?: CallOptions,
  ): Promise<Variant> {
    const route = "/v1/variants/{variant_id}";
    return parseWrappedVariant(
      await this.#call.json("PATCH", route, { variant_id: name }, { ...options, json: change }),
      route,
    );
  }

  async delete(name: string, options?: CallOptions): Promise<void> {
    await this.#call.json("DELETE", "/v1/variants/{variant_id}", { variant_id: name }, options);
  }
}
