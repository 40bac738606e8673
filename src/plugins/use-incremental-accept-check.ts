import { Kind, type ValidationRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import { policyError } from "../errors.ts";

/** Media types (and the wildcards matching them) that carry an answer in parts. */
const INCREMENTAL = /^(multipart\/(mixed|\*)|text\/(event-stream|\*)|\*\/\*)$/;

/**
 * Refuses `@defer`, `@stream` and subscriptions early when the client accepts only JSON: yoga
 * would run such a document, spending upstream calls, and then answer an empty 406.
 */
export function useIncrementalAcceptCheck(): Plugin {
  return {
    onValidate({ context, addValidationRule }) {
      const request = (context as { request?: Request }).request;
      if (!request || acceptsParts(request.headers.get("accept"))) return;
      addValidationRule(refuseIncrementalDirectives);
    },
  };
}

function acceptsParts(accept: string | null): boolean {
  if (accept === null || accept.trim() === "") return true;
  return accept.split(",").some((entry) => INCREMENTAL.test(entry.split(";")[0]?.trim().toLowerCase() ?? ""));
}

const refuseIncrementalDirectives: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation !== "subscription") return;
    context.reportError(
      policyError("input", "Subscriptions answer as a stream: send `Accept: text/event-stream`.", { nodes: [node] }),
    );
  },
  Directive(node) {
    const name = node.name.value;
    if (name !== "defer" && name !== "stream") return;
    const condition = node.arguments?.find((argument) => argument.name.value === "if")?.value;
    if (condition?.kind === Kind.BOOLEAN && !condition.value) return;
    context.reportError(
      policyError(
        "input",
        `@${name} answers in parts: send \`Accept: multipart/mixed\` or \`Accept: text/event-stream\`.`,
        {
          nodes: [node],
        },
      ),
    );
  },
});
