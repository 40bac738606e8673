import type { Plugin } from "graphql-yoga";
import { ERROR_POLICY, maskError } from "../errors.ts";

/**
 * yoga answers validation errors without masking them (and gives them its own code): this puts
 * them through the same masking as every other error, keeping yoga's HTTP 400.
 */
export function useErrorPolicy(options: { forward: boolean }): Plugin {
  return {
    onValidate() {
      return ({ valid, result, setResult }) => {
        if (!valid) setResult(result.map((error) => maskError(error, ERROR_POLICY.unexpected.message, options)));
      };
    },
  };
}
