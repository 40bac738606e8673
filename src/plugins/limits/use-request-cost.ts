import { complexityFromQuery } from "@pothos/plugin-complexity";
import {
  type DefinitionNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  getOperationAST,
  Kind,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { LimitsConfig } from "../../config.ts";
import type { Context } from "../../context.ts";
import { costError, upstreamCallsError } from "../../schema/limits.ts";
import { estimateUpstreamCalls } from "../../schema/upstream-calls.ts";

/**
 * The cost limit (Pothos complexity) and the upstream-call limit, checked once per operation after
 * validation and before any resolver, over every root field including federation's `_entities`.
 */
export function useRequestCost(limits: Pick<LimitsConfig, "maxCost" | "maxUpstreamCalls">): Plugin {
  // Subscriptions are set up through `subscribe`, not `execute`: the same check covers both.
  const check = ({ args, setResultAndStopExecution }: CheckPayload) => {
    const { schema, document, operationName } = args;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const ctx = args.contextValue as unknown as Context;
    const operation = getOperationAST(document, operationName);
    if (!operation) return;
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
    }
  };
  return { onExecute: check, onSubscribe: check };
}

interface CheckPayload {
  args: ExecutionArgs;
  setResultAndStopExecution: (result: ExecutionResult) => void;
}
