/** What a caller may do: one scope per kind of data and direction; `images:bulk` for bulk jobs besides `images:write`. */
export const SCOPES = ["images:read", "images:write", "images:bulk", "keys:read", "keys:write"] as const;
export type Scope = (typeof SCOPES)[number];

/** The authenticated caller of one GraphQL request. */
export interface Viewer {
  /** The API key's name, the JWT's `sub`, or a fixed label; for logs, never a secret. */
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  /** In `forward` mode: the caller's own Cloudflare token, used for its upstream calls. */
  readonly upstreamToken?: string;
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export const ALL_SCOPES: ReadonlySet<Scope> = new Set(SCOPES);
