import { blockFieldSuggestionsPlugin } from "@escape.tech/graphql-armor-block-field-suggestions";
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import type { Plugin } from "graphql-yoga";
import type { LimitsConfig } from "../../config/index.ts";
import { limitError } from "../../errors.ts";
import { useBodyLimits } from "./use-body-limits.ts";
import { useFormCsrfPrevention } from "./use-form-csrf-prevention.ts";
import { useInputShape } from "./use-input-shape.ts";
import { useNoIntrospection } from "./use-no-introspection.ts";
import { useRequestCost } from "./use-request-cost.ts";
import { useTrustedDocuments } from "./use-trusted-documents.ts";

/**
 * Abuse limits, each refusing with a code before any resolver (so before any upstream call):
 * body size at the HTTP layer, CSRF before parsing, trusted documents on the parameters, token
 * count while parsing, depth and aliases while validating, cost and upstream calls once the
 * variables are known, before any resolver.
 */
export function limitPlugins(limits: LimitsConfig): Plugin[] {
  const rejectAs = (limit: string) => ({
    propagateOnRejection: false,
    onReject: [
      (_context: unknown, error: Error) => {
        throw limitError(error.message.replace(/^Syntax Error: /, ""), limit);
      },
    ],
  });
  const plugins: Plugin[] = [
    useBodyLimits(limits),
    useFormCsrfPrevention(),
    useInputShape(),
    maxTokensPlugin({ n: limits.maxTokens, ...rejectAs("maxTokens") }),
    maxDepthPlugin({ n: limits.maxDepth, ignoreIntrospection: true, ...rejectAs("maxDepth") }),
    maxAliasesPlugin({ n: limits.maxAliases, ...rejectAs("maxAliases") }),
    useRequestCost(limits),
  ];
  // Suggestions ("Did you mean …") would spell out the schema that introspection hides.
  if (!limits.introspection) plugins.push(useNoIntrospection(), blockFieldSuggestionsPlugin({ mask: "" }));
  if (limits.trustedDocuments) plugins.push(useTrustedDocuments(limits.trustedDocuments));
  return plugins;
}
