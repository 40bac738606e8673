import type { AccountCaller, CallOptions } from "./account.ts";
import { parseStats, type Stats } from "./wire.ts";

export class StatsApi {
  readonly #call: AccountCaller;

  constructor(call: AccountCaller) {
    this.#call = call;
  }

  async get(options?: CallOptions): Promise<Stats> {
    const route = "/v1/stats";
    return parseStats(await this.#call.json("GET", route, {}, options), route);
  }
}
