import { RequestBudget, Transport, type TransportEvent } from "../../src/upstream/index.ts";

/** A transport straight to `baseUrl` for tests below the schema: no retries unless asked, a budget no test spends. */
export function testTransport(
  baseUrl: string,
  options: { connections?: number; retries?: number; budget?: number; onEvent?: (event: TransportEvent) => void } = {},
): Transport {
  return new Transport({
    baseUrl,
    budget: new RequestBudget({ limit: options.budget ?? 1000, windowSeconds: 60 }),
    connections: options.connections ?? 2,
    uploadConnections: 1,
    connectTimeoutMs: 5000,
    requestTimeoutMs: 10_000,
    deadlineMs: 10_000,
    retries: options.retries ?? 0,
    retryBaseDelayMs: 1,
    maxRetryAfterSeconds: 5,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
}
