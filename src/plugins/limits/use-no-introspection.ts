import type { ValidationRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import { limitError } from "../../errors.ts";

/** graphql-js's NoSchemaIntrospectionCustomRule, refusing with this API's code instead of yoga's default. */
export function useNoIntrospection(): Plugin {
  const rule: ValidationRule = (context) => ({
    Field(node) {
      if (node.name.value === "__schema" || node.name.value === "__type") {
        context.reportError(limitError(`Introspection is turned off here (INTROSPECTION=false).`, "introspection"));
      }
    },
  });
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
