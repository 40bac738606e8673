import { declareVariables, type EnvReader } from "./env-reader.ts";

export const REDIS_VARIABLES = declareVariables({
  REDIS_URL: {
    type: "text",
    format: "redis:// or rediss:// URL",
    secret: true,
    description:
      "One Redis shared by every replica: the upstream budget, the entity cache's shared level, the token-chain memo and subscription events. Unset: all stay in the process.",
  },
});

/** Read once: the budget, the entity cache, the token-chain memo and live events all take this one value. */
export function readRedisUrl(read: EnvReader): string | undefined {
  const redisUrl = read.text(REDIS_VARIABLES.REDIS_URL);
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    // The URL may hold a password: name the variable, never echo it.
    read.problem("REDIS_URL must be a redis:// or rediss:// URL");
  }
  return redisUrl;
}
