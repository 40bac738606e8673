import { describe, expect, it } from "vitest";
import { CONFIG_AREAS, ConfigError, loadConfig } from "../../src/config/index.ts";
import { configurationReference } from "../../src/config/reference.ts";

/** Loads the configuration from `env` and returns every variable name the readers looked up. */
function namesRead(env: Record<string, string>): Set<string> {
  const names = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === "string") names.add(name);
      return target[name as string];
    },
  });
  try {
    loadConfig(recording);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  return names;
}

const REAL = { CLOUDFLARE_API_TOKEN: "t", CLOUDFLARE_ACCOUNT_ID: "a", OPS_PORT: "9464" };
// Each reader's branches: the emulator, real credentials in every auth mode, tracing on.
const SCENARIOS: Record<string, string>[] = [
  {},
  { ...REAL, AUTH_MODE: "forward" },
  { ...REAL, AUTH_MODE: "api-key" },
  { ...REAL, AUTH_MODE: "jwt", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" },
];

const declared = CONFIG_AREAS.flatMap(({ variables }) => Object.keys(variables));

describe("the configuration reference", () => {
  it("declares every variable the readers read, and the readers read every declared one", () => {
    const read = new Set(SCENARIOS.flatMap((env) => [...namesRead(env)]));
    expect([...read].sort()).toEqual([...new Set(declared)].sort());
  });

  it("declares each variable in one area only", () => {
    expect(declared.length).toBe(new Set(declared).size);
  });

  it("lists every declared variable with its default", () => {
    const reference = configurationReference();
    for (const name of declared) expect(reference).toMatch(new RegExp(`^\\| \`${name}\` \\| [^|]+ \\|`, "m"));
    expect(reference).toMatch(/^\| `PORT` \| `4000` \| integer 0 to 65535 \|/m);
    expect(reference).toMatch(/^\| `CACHE` \| `on` \| `on`, `off` \|/m);
  });
});
