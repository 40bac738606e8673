import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { failFastRedis } from "../redis.ts";
import { InMemoryTokenChainMemo, type PageLink, type TokenChainMemo } from "./token-chain.ts";

/** Continuation tokens of a list stay usable for a while upstream; the way back is kept a day. */
const LINK_TTL_SECONDS = 86_400;

/**
 * The way back through token chains for every replica: what one replica read forwards, another
 * can walk back without reading the list again. This process's own memo answers first; Redis out
 * of reach only costs the fallback (reading the list from the start).
 */
export class SharedTokenChainMemo implements TokenChainMemo {
  readonly #local = new InMemoryTokenChainMemo();
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(url: string, accountId: string) {
    this.#redis = failFastRedis(url, { autoPipelining: true });
    this.#redis.on("error", () => undefined);
    this.#prefix = `images-cache:${accountId}:chain:`;
  }

  async previous(chain: string, boundary: string): Promise<PageLink | undefined> {
    const known = await this.#local.previous(chain, boundary);
    if (known) return known;
    try {
      const json = await this.#redis.get(this.#key(chain, boundary));
      const page = json === null ? undefined : parseLink(json);
      if (page) await this.#local.remember(chain, boundary, page);
      return page;
    } catch {
      return undefined;
    }
  }

  async remember(chain: string, boundary: string, page: PageLink): Promise<void> {
    await this.#local.remember(chain, boundary, page);
    const link = JSON.stringify({ token: page.token, perPage: page.perPage });
    await this.#redis.set(this.#key(chain, boundary), link, "EX", LINK_TTL_SECONDS).catch(() => undefined);
  }

  close(): void {
    this.#redis.disconnect();
  }

  /** Hashed: a chain names filters and a boundary is an upstream token, both of any length. */
  #key(chain: string, boundary: string): string {
    return this.#prefix + createHash("sha256").update(`${chain}\n${boundary}`).digest("base64url");
  }
}

function parseLink(json: string): PageLink | undefined {
  try {
    const link = JSON.parse(json) as { token?: unknown; perPage?: unknown };
    const token = link.token === null || typeof link.token === "string" ? link.token : undefined;
    if (token === undefined || typeof link.perPage !== "number") return undefined;
    return { token, perPage: link.perPage };
  } catch {
    return undefined;
  }
}
