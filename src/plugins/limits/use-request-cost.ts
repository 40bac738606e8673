import { complexityFromQuery } from "@pothos/plugin-complexity";
import {
  type DefinitionNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  Kind,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { LimitsConfig } from "../../config/index.ts";
import type { Context } from "../../context.ts";
import { costError, upstreamCallsError } from "../../schema/limits.ts";
import { estimateUpstreamCalls } from "../../schema/upstream-calls.ts";

/**
 * The cost limit (Pothos complexity) and the upstream-call limit, checked once per operation after
 * validation and before any resolver, over every root field including federation's `_entities`.
 */
export function useRequestCost(limits: Pick<LimitsConfig, "maxCost" | "maxUpstreamCalls">): Plugin {
  // An operation without variables costs the same every time (the estimators read only the app's
  // settings): once it has passed, it is not weighed again. Keyed by the parsed document, which
  // yoga's bounded parse cache keeps: an evicted document takes its entry with it.
  const passed = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Set<string>>>();
  // Subscriptions are set up through `subscribe`, not `execute`: the same check covers both.
  const check = ({ args, setResultAndStopExecution }: CheckPayload) => {
    const { schema, document, operationName } = args;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const ctx = args.contextValue as unknown as Context;
    const operation = getOperationAST(document, operationName);
    if (!operation) return;
    const constant = !operation.variableDefinitions?.length;
    const key = operationName ?? "";
    if (constant && passed.get(schema)?.get(document)?.has(key)) return;
    // complexityFromQuery reads the document's first operation: give it only the one that runs.
    const fragments = document.definitions.filter((d: DefinitionNode) => d.kind === Kind.FRAGMENT_DEFINITION);
    const executed: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] };
    let complexity: number;
    try {
      ({ complexity } = complexityFromQuery(executed, { schema, variables, ctx }));
    } catch (error) {
      // A field's own argument check (it throws a coded error) refuses the operation here, before any call;
      // variables that do not coerce fail the execution itself, before any resolver.
      if (error instanceof GraphQLError && error.extensions.code) setResultAndStopExecution({ errors: [error] });
      return;
    }
    if (complexity > limits.maxCost) {
      setResultAndStopExecution({ errors: [costError(complexity, limits.maxCost)] });
      return;
    }
    const calls = estimateUpstreamCalls(schema, executed, operationName, variables, ctx);
    if (calls > limits.maxUpstreamCalls) {
      setResultAndStopExecution({ errors: [upstreamCallsError(calls, limits.maxUpstreamCalls)] });
      return;
    }
    if (constant) remember(passed, schema, document).add(key);
  };
  return { onExecute: check, onSubscribe: check };
}

function remember(
  passed: WeakMap<GraphQLSchema, WeakMap<DocumentNode, Set<string>>>,
  schema: GraphQLSchema,
  document: DocumentNode,
): Set<string> {
  let bySchema = passed.get(schema);
  if (!bySchema) {
    bySchema = new WeakMap();
    passed.set(schema, bySchema);
  }
  let names = bySchema.get(document);
  if (!names) {
    names = new Set();
    bySchema.set(document, names);
  }
  return names;
}

interface CheckPayload {
  args: ExecutionArgs;
  setResultAndStopExecution: (result: ExecutionResult) => void;
}
