import type { Plugin } from "graphql-yoga";

/** yoga's own codes for a request the caller got wrong; the contract has one code for them all. */
export const YOGA_INPUT_CODES: ReadonlySet<string> = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "REQUEST_ENTITY_TOO_LARGE",
]);

/**
 * A document that fails validation is the caller's mistake: it gets the contract's BAD_USER_INPUT
 * (DESIGN §4) instead of yoga's GRAPHQL_VALIDATION_FAILED, keeping yoga's HTTP 400.
 */
export function useInputErrorCode(): Plugin {
  return {
    onValidate() {
      return ({ valid, result }) => {
        if (valid) return;
        for (const error of result) {
          const extensions = error.extensions as Record<string, unknown>;
          if (!extensions.code || extensions.code === "GRAPHQL_VALIDATION_FAILED") extensions.code = "BAD_USER_INPUT";
        }
      };
    },
  };
}
