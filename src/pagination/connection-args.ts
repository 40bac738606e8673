import { inputError } from "../errors.ts";

/** Relay's connection arguments, as every connection of the API takes them. */
export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export const DEFAULT_PAGE_EDGES = 20;
/** The v2 list's own `per_page` maximum, kept for every connection so that clients meet one limit. */
export const MAX_CONNECTION_EDGES = 10_000;

/** What a connection's arguments ask for: how many edges, in which direction, from which cursor. */
export interface ConnectionRequest<Anchor> {
  readonly count: number;
  readonly backward: boolean;
  readonly anchor: Anchor | undefined;
}

/**
 * Checks the arguments as graphql-relay-js reads them (`first` with `after`, `last` with `before`) and
 * decodes the cursor with the connection's own codec, which refuses one made for other filters.
 */
export function readConnectionArgs<Anchor>(
  args: ConnectionArgs,
  decode: (cursor: string) => Anchor,
): ConnectionRequest<Anchor> {
  const { first, last, after, before } = args;
  for (const [name, value] of [
    ["first", first],
    ["last", last],
  ] as const) {
    if (isSet(value) && (value < 0 || value > MAX_CONNECTION_EDGES)) {
      throw inputError(`\`${name}\` must be between 0 and ${MAX_CONNECTION_EDGES}.`, { argument: name });
    }
  }
  if (isSet(first) && isSet(last)) throw inputError("Pass either `first` or `last`, not both.", { argument: "last" });
  if (isSet(after) && isSet(before))
    throw inputError("Pass either `after` or `before`, not both.", { argument: "before" });
  if (isSet(first) && isSet(before)) throw inputError("Use `before` with `last`.", { argument: "before" });
  if (isSet(last) && isSet(after)) throw inputError("Use `after` with `first`.", { argument: "after" });
  const backward = isSet(last) || isSet(before);
  const count = (backward ? last : first) ?? DEFAULT_PAGE_EDGES;
  const cursor = after ?? before;
  return { count, backward, anchor: isSet(cursor) ? decode(cursor) : undefined };
}

function isSet<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}
