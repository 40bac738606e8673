// The one home of configuration. The rule, for every area (server, cache, catalogue, …):
//   - `src/config/<area>.ts` declares the area's variables in one `declareVariables({...})` table
//     (name, type and range, default, one-line description), exports its config type and one
//     `read<Area>Config(read, given?)` that reads only its own table through the EnvReader;
//   - the area is listed once in CONFIG_AREAS below (the reference `npm run docs` prints) and its
//     reader called once in loadConfig; what it needs of another area is passed in, never re-read.
// Nothing outside src/config reads `process.env`; a variable read twice throws at start.
import type { AuthSettings } from "../auth/index.ts";
import { AUTH_VARIABLES, readAuthConfig } from "./auth.ts";
import { BUDGET_VARIABLES, type BudgetConfig, readBudgetConfig } from "./budget.ts";
import { CACHE_VARIABLES, type CacheConfig, readCacheConfig } from "./cache.ts";
import { CATALOGUE_VARIABLES, type CatalogueConfig, readCatalogueConfig } from "./catalogue.ts";
import { CORS_VARIABLES, type CorsConfig, readCorsConfig } from "./cors.ts";
import { ConfigError, type Env, EnvReader, type Variable } from "./env-reader.ts";
import { FACTS_VARIABLES, type FactsConfig, readFactsConfig } from "./facts.ts";
import { HTTP_VARIABLES, type HttpConfig, readHttpConfig } from "./http.ts";
import { JOBS_VARIABLES, type JobsConfig, readJobsConfig } from "./jobs.ts";
import { LIMITS_VARIABLES, type LimitsConfig, readLimitsConfig } from "./limits.ts";
import { LIVE_VARIABLES, type LiveConfig, readLiveConfig } from "./live.ts";
import { OBSERVABILITY_VARIABLES, type ObservabilityConfig, readObservabilityConfig } from "./observability.ts";
import { OPS_VARIABLES, type OpsConfig, readOpsConfig } from "./ops.ts";
import { REDIS_VARIABLES, readRedisUrl } from "./redis.ts";
import { RESOLVER_VARIABLES, type ResolverConfig, readResolverConfig } from "./resolvers.ts";
import { readServerConfig, SERVER_VARIABLES, type ServerConfig } from "./server.ts";
import { readUpstreamConfig, UPSTREAM_VARIABLES, type UpstreamSettings } from "./upstream.ts";

export type { BudgetConfig } from "./budget.ts";
export type { CacheConfig, EntityKind } from "./cache.ts";
export type { CatalogueConfig } from "./catalogue.ts";
export type { CorsConfig } from "./cors.ts";
export { ConfigError, EnvReader } from "./env-reader.ts";
export type { FactsConfig } from "./facts.ts";
export type { HttpConfig } from "./http.ts";
export type { JobsConfig } from "./jobs.ts";
export { type LimitsConfig, UPSTREAM_MAX_UPLOAD_BYTES } from "./limits.ts";
export type { LiveConfig } from "./live.ts";
export { LOG_LEVELS, type LogLevel, type ObservabilityConfig, type TracingConfig } from "./observability.ts";
export { DEFAULT_OPS_PORT, type OpsConfig } from "./ops.ts";
export { DEFAULT_API_BASE_URL, DEFAULT_BATCH_BASE_URL, type UpstreamConfig } from "./upstream.ts";

/** Every area's declarations, in the order of the configuration reference. */
export const CONFIG_AREAS: readonly {
  readonly area: string;
  readonly variables: Readonly<Record<string, Variable>>;
}[] = [
  { area: "Upstream", variables: UPSTREAM_VARIABLES },
  { area: "Server", variables: SERVER_VARIABLES },
  { area: "Redis", variables: REDIS_VARIABLES },
  { area: "Upstream budget", variables: BUDGET_VARIABLES },
  { area: "Upstream HTTP", variables: HTTP_VARIABLES },
  { area: "Resolvers", variables: RESOLVER_VARIABLES },
  { area: "Entity cache", variables: CACHE_VARIABLES },
  { area: "Catalogue", variables: CATALOGUE_VARIABLES },
  { area: "Image facts", variables: FACTS_VARIABLES },
  { area: "Subscriptions", variables: LIVE_VARIABLES },
  { area: "Authentication", variables: AUTH_VARIABLES },
  { area: "Limits", variables: LIMITS_VARIABLES },
  { area: "Cross-origin requests", variables: CORS_VARIABLES },
  { area: "Observability", variables: OBSERVABILITY_VARIABLES },
  { area: "Ops endpoints", variables: OPS_VARIABLES },
  { area: "Bulk jobs", variables: JOBS_VARIABLES },
];

/** Configuration, read from the environment once at start and validated; passed down frozen. */
export interface Config extends ServerConfig, UpstreamSettings, ResolverConfig {
  /** One Redis for every replica (REDIS_URL): budget, entity cache, token-chain memo, live events. Absent: none. */
  readonly redisUrl: string | undefined;
  readonly budget: BudgetConfig;
  readonly http: HttpConfig;
  /** Subscriptions: how a draft is watched. */
  readonly live: LiveConfig;
  readonly auth: AuthSettings;
  readonly limits: LimitsConfig;
  readonly observability: ObservabilityConfig;
  readonly ops: OpsConfig;
  readonly cors: CorsConfig;
  /** The entity cache across requests (in Redis too when `REDIS_URL` is set). */
  readonly cache: CacheConfig;
  /** The account's index for search, sort and counts (embedded, or PostgreSQL with `DATABASE_URL`). */
  readonly catalogue: CatalogueConfig;
  /** Image facts (dimensions, hash, placeholder): computed once per image, kept in the store. */
  readonly facts: FactsConfig;
  /** Bulk jobs: their size limit, pace, leases and retries. */
  readonly jobs: JobsConfig;
}

/** Reads and validates the configuration; throws one ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = new EnvReader(env, problems);
  const { realCredentials, ...upstream } = readUpstreamConfig(read);
  const server = readServerConfig(read);
  const development = !realCredentials;
  const config: Config = {
    ...server,
    ...upstream,
    ...readResolverConfig(read, { development }),
    redisUrl: readRedisUrl(read),
    budget: readBudgetConfig(read),
    http: readHttpConfig(read),
    live: readLiveConfig(read),
    auth: readAuthConfig(read, { realCredentials }),
    limits: readLimitsConfig(read, { development }),
    observability: readObservabilityConfig(read),
    ops: readOpsConfig(read, { realCredentials, host: server.host }),
    cors: readCorsConfig(read, { development }),
    cache: readCacheConfig(read),
    catalogue: readCatalogueConfig(read),
    facts: readFactsConfig(read),
    jobs: readJobsConfig(read),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
