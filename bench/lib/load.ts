import { Pool } from "undici";

export interface LoadResult {
  requests: number;
  errors: number;
  durationMs: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadRequest {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

/**
 * Closed-loop load: `connections` workers each send the next request as soon as the previous one
 * answered, for `durationMs`. Bounded in time and count; loopback targets only.
 */
export async function runLoad(
  origin: string,
  makeRequest: (i: number) => LoadRequest | LoadRequest[],
  options: { connections: number; durationMs: number; maxRequests?: number },
): Promise<LoadResult> {
  const pool = new Pool(origin, { connections: options.connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const maxRequests = options.maxRequests ?? 200_000;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline && issued < maxRequests) {
      const made = makeRequest(issued++);
      const t0 = performance.now();
      try {
        // A list of requests is one operation whose calls run concurrently (the direct-REST baseline).
        const all = await Promise.all(
          (Array.isArray(made) ? made : [made]).map(async (r) => {
            const answer = await pool.request({ method: r.method, path: r.path, headers: r.headers, body: r.body });
            await answer.body.dump();
            return answer.statusCode;
          }),
        );
        if (all.some((status) => status >= 400)) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const durationMs = performance.now() - started;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    durationMs,
    requestsPerSecond: (latencies.length / durationMs) * 1000,
    p50Ms: pick(0.5),
    p99Ms: pick(0.99),
  };
}
