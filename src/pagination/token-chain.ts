/** A page of the v2 list as it was read: its continuation token (null for the first page) and size. */
export interface PageLink {
  readonly token: string | null;
  readonly perPage: number;
}

/**
 * The way back through a forward-only token chain: for a page boundary (the continuation token a
 * page ended with), the page that ended there. `chain` names one list (its filters, sort order and
 * read order), so tokens of different lists never meet. Written only from upstream answers, never
 * from what a client sent. Async so that a shared store (Redis, keyed by account) can stand in.
 */
export interface TokenChainMemo {
  previous(chain: string, boundary: string): Promise<PageLink | undefined>;
  remember(chain: string, boundary: string, page: PageLink): Promise<void>;
}

/** The in-process memo: a bounded LRU, so a long walk or many lists never grow memory without end. */
export class InMemoryTokenChainMemo implements TokenChainMemo {
  readonly #entries = new Map<string, PageLink>();
  readonly #capacity: number;

  constructor(capacity = 50_000) {
    this.#capacity = capacity;
  }

  async previous(chain: string, boundary: string): Promise<PageLink | undefined> {
    const key = `${chain}\n${boundary}`;
    const page = this.#entries.get(key);
    if (page) {
      this.#entries.delete(key);
      this.#entries.set(key, page);
    }
    return page;
  }

  async remember(chain: string, boundary: string, page: PageLink): Promise<void> {
    const key = `${chain}\n${boundary}`;
    this.#entries.delete(key);
    this.#entries.set(key, page);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}
