import { declareVariables, type EnvReader } from "./env-reader.ts";

export const EXECUTION_VARIABLES = declareVariables({
  COMPILED_EXECUTION: {
    type: "choice",
    values: ["on", "off"],
    default: "on",
    description:
      "`on`: queries of the client API run as compiled code (graphql-jit); `off`: every operation through graphql-js.",
  },
});

/** How operations are executed. */
export interface ExecutionConfig {
  /** Queries of the client API run compiled (graphql-jit). */
  readonly compiled: boolean;
}

export function readExecutionConfig(read: EnvReader): ExecutionConfig {
  return { compiled: (read.choice(EXECUTION_VARIABLES.COMPILED_EXECUTION) ?? "on") === "on" };
}
