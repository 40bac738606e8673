import { blockFieldSuggestionsPlugin } from "@escape.tech/graphql-armor-block-field-suggestions";
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import type { ValidationRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { LimitsConfig } from "../config.ts";
import { useBodyLimits } from "./body-limits.ts";
import { useInputShape } from "./input-shape.ts";
import { limitError } from "./limit-error.ts";
import { useRequestCost } from "./request-cost.ts";

/** Headers that make a browser preflight the request; the ones common GraphQL clients send. */
export const CSRF_HEADERS = ["x-graphql-yoga-csrf", "apollo-require-preflight", "x-apollo-operation-name"];

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

/**
 * yoga's CSRF prevention for the bodies a cross-site form can send without a preflight (form,
 * multipart, text/plain): they could run mutations. A GET never runs one (yoga refuses mutations
 * over GET), so queries over GET work as urql and graphql-request send them, with no extra header.
 */
function useFormCsrfPrevention(): Plugin {
  const prevention = useCSRFPrevention({ requestHeaders: CSRF_HEADERS });
  return {
    onRequestParse(payload) {
      if (payload.request.method === "GET") return;
      return prevention.onRequestParse?.(payload);
    },
  };
}

/** graphql-js's NoSchemaIntrospectionCustomRule, refusing with this API's code instead of yoga's default. */
function useNoIntrospection(): Plugin {
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

/** Only documents from the manifest run, named by `documentId` or by APQ's `sha256Hash`. */
function useTrustedDocuments(documents: ReadonlyMap<string, string>): Plugin {
  const refuse = (message: string) => () => limitError(message, "trustedDocuments");
  return usePersistedOperations({
    allowArbitraryOperations: false,
    getPersistedOperation: (id) => documents.get(id) ?? null,
    extractPersistedOperationId: (params) => {
      const body = params as { documentId?: unknown; extensions?: { persistedQuery?: { sha256Hash?: unknown } } };
      const id = body.documentId ?? body.extensions?.persistedQuery?.sha256Hash;
      return typeof id === "string" ? id : null;
    },
    customErrors: {
      persistedQueryOnly: refuse("Only trusted documents run here: send `documentId` instead of `query`."),
      keyNotFound: refuse("Send the trusted document's id as `documentId`."),
      notFound: refuse("No trusted document has this id."),
    },
  });
}
