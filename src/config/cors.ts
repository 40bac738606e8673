import { declareVariables, type EnvReader } from "./env-reader.ts";

export const CORS_VARIABLES = declareVariables({
  CORS_ORIGINS: {
    type: "text",
    format: "origins, comma-separated (`https://app.example.com,http://localhost:5173`), or `*`",
    defaultText: "`*` with the emulator; none with real credentials",
    description: "Origins allowed to read responses cross-origin.",
  },
  CORS_ALLOW_CREDENTIALS: {
    type: "boolean",
    default: false,
    description: "`true`: send `Access-Control-Allow-Credentials: true` to the listed origins (needs a list, not `*`).",
  },
});

export interface CorsConfig {
  /** `"*"`: any origin may read responses; otherwise exactly these origins (none when empty). */
  readonly origins: "*" | readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` (cookies); only with an explicit list. */
  readonly credentials: boolean;
}

/** Any origin with the embedded emulator (a local demo); none with real credentials until listed. */
export function readCorsConfig(read: EnvReader, { development }: { development: boolean }): CorsConfig {
  const v = CORS_VARIABLES;
  const raw = read.text(v.CORS_ORIGINS);
  const credentials = read.boolean(v.CORS_ALLOW_CREDENTIALS);
  const entries = (raw ?? (development ? "*" : ""))
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  if (entries.includes("*")) {
    if (credentials) read.problem("CORS_ALLOW_CREDENTIALS=true needs CORS_ORIGINS to list origins, not *");
    return { origins: "*", credentials: false };
  }
  const origins: string[] = [];
  for (const entry of entries) {
    let origin: string | undefined;
    try {
      origin = new URL(entry).origin;
    } catch {}
    if (origin === undefined || origin === "null" || origin !== entry.replace(/\/$/, "").toLowerCase()) {
      read.problem(`CORS_ORIGINS entries must be origins like https://app.example.com, or * (got "${entry}")`);
    } else origins.push(origin);
  }
  return { origins, credentials };
}
