import { type Plugin, useReadinessCheck } from "graphql-yoga";
import { type CloudflareImagesApi, classifyUpstreamFailure, type UpstreamBudget } from "../upstream/index.ts";

export const READINESS_PATH = "/readiness";

type Verdict = { ready: true } | { ready: false; reason: string };

/**
 * `/readiness`: 200 while the upstream accepts the configured token and the request budget is not
 * spent, 503 with the reason otherwise. The upstream probe (the cheap stats call) is reused for
 * `cacheSeconds`, so frequent probes cost the account's budget almost nothing.
 */
export function useReadiness(options: {
  api: CloudflareImagesApi;
  budget: UpstreamBudget;
  cacheSeconds: number;
}): Plugin {
  let probe: { at: number; verdict: Promise<Verdict> } | undefined;
  const probeUpstream = (): Promise<Verdict> => {
    const now = Date.now();
    if (!probe || now - probe.at >= options.cacheSeconds * 1000) {
      probe = { at: now, verdict: checkUpstream(options.api) };
    }
    return probe.verdict;
  };
  const readiness = useReadinessCheck({
    endpoint: READINESS_PATH,
    async check() {
      const verdict: Verdict =
        options.budget.remaining() <= 0
          ? { ready: false, reason: "the upstream request budget is spent" }
          : await probeUpstream();
      return Response.json(verdict.ready ? { status: "ready" } : { status: "unready", reason: verdict.reason }, {
        status: verdict.ready ? 200 : 503,
      });
    },
  });
  // yoga's check matches every request's URL against a URLPattern: only this path needs it.
  return {
    ...readiness,
    onRequest(payload) {
      if (payload.url.pathname !== READINESS_PATH) return;
      return readiness.onRequest?.(payload);
    },
  };
}

async function checkUpstream(api: CloudflareImagesApi): Promise<Verdict> {
  try {
    await api.stats.get({ signal: AbortSignal.timeout(5_000) });
    return { ready: true };
  } catch (error) {
    return { ready: false, reason: reasonOf(error) };
  }
}

/** Says what is wrong without repeating upstream messages. */
function reasonOf(error: unknown): string {
  const failure = classifyUpstreamFailure(error);
  switch (failure?.kind) {
    case "rateLimited":
      return "the upstream is rate limiting this account";
    case "unavailable":
      return "the upstream is unreachable";
    case "credentialsRefused":
    case "forbidden":
      return `the upstream refused the configured token (HTTP ${failure.upstream.status})`;
    case "notFound":
    case "refused":
    case "failed":
      if (failure.upstream.status !== undefined) return `the upstream answered HTTP ${failure.upstream.status}`;
  }
  return "the upstream call failed";
}
