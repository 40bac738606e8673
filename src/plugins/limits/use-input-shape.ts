import type { ValidationRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import { limitError } from "../../errors.ts";

/**
 * JSON inputs nest at most this deep. Metadata is at most 1024 bytes and filters 5 levels, so no
 * honest input comes near; deeper ones would only exhaust the stack of whatever walks them.
 */
export const MAX_INPUT_DEPTH = 32;

/**
 * Variables are JSON, which can carry what GraphQL string literals cannot: lone surrogates (which
 * no URL or upstream accepts). Those, and nesting of any depth, are refused as the caller's input
 * before anything reads the variables; object and list literals in the document nest no deeper.
 */
export function useInputShape(): Plugin {
  return {
    onParams({ params }) {
      const problem = shapeProblem(params.variables);
      if (problem) throw problem;
    },
    onValidate({ addValidationRule }) {
      addValidationRule(literalDepthRule);
    },
  };
}

const literalDepthRule: ValidationRule = (context) => {
  let depth = 0;
  let reported = false;
  const enter = () => {
    depth += 1;
    if (depth > MAX_INPUT_DEPTH + 1 && !reported) {
      reported = true;
      context.reportError(tooDeep("Values"));
    }
  };
  const leave = () => {
    depth -= 1;
  };
  return { ObjectValue: { enter, leave }, ListValue: { enter, leave } };
};

function tooDeep(what: string) {
  return limitError(`${what} may nest at most ${MAX_INPUT_DEPTH} levels deep.`, "inputDepth");
}

function shapeProblem(variables: unknown) {
  const pending: [unknown, number][] = [[variables, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop() as [unknown, number];
    if (typeof value === "string") {
      if (!value.isWellFormed()) return illFormed();
      continue;
    }
    if (!isJsonContainer(value)) continue;
    if (depth > MAX_INPUT_DEPTH) {
      return tooDeep("Variables");
    }
    for (const [key, item] of Object.entries(value)) {
      if (!key.isWellFormed()) return illFormed();
      pending.push([item, depth + 1]);
    }
  }
  return undefined;
}

function illFormed() {
  return limitError("Variables must be well-formed Unicode text (no lone surrogates).", "unicode");
}

/** Only what JSON parsing made; uploads and other objects put in the variables are not walked. */
function isJsonContainer(value: unknown): value is object {
  if (Array.isArray(value)) return true;
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
