import type { EnvReader } from "../config.ts";

/** How operations are executed. */
export interface ExecutionConfig {
  /** Queries of the client API run compiled (graphql-jit); off: every operation through graphql-js. */
  readonly compiled: boolean;
}

export function readExecutionConfig(read: EnvReader): ExecutionConfig {
  /** COMPILED_EXECUTION: `on` (default) runs client queries as compiled code; `off` for comparison. */
  return { compiled: (read.oneOf("COMPILED_EXECUTION", ["on", "off"] as const) ?? "on") === "on" };
}
