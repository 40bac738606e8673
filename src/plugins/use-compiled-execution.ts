import { createRequire } from "node:module";
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  visit,
} from "graphql";
import type * as Jit from "graphql-jit";
import type { CompiledQuery } from "graphql-jit";
import type { Plugin } from "graphql-yoga";

type Execute = (args: ExecutionArgs) => unknown;

/** A document runs compiled from this run on (the earlier ones on graphql-js). */
export const COMPILE_AFTER_RUNS = 5;

// Loaded with the first query it compiles (with fast-json-stringify and ajv, about 2 MB of heap): a
// server that has answered none does not hold it.
let jit: typeof Jit | undefined;
const loadJit = () => {
  jit ??= createRequire(import.meta.url)("graphql-jit") as typeof Jit;
  return jit;
};

/**
 * Queries of the client API run as code compiled once per document (graphql-jit): a page of 100
 * images with variants resolves ~2,600 fields, and graphql-js's interpreter spends most of the
 * request's CPU walking them. The rest stays with the standard executor, which the GraphQL-over-HTTP
 * semantics and the tests are written against: mutations (serial, rare), subscriptions, `@defer` and
 * `@stream` (incremental delivery), introspection, and the subgraph (`_entities`, where graphql-jit
 * answered one entity too many). A document graphql-jit cannot compile, and an answer without
 * `data` (variables that do not coerce: 400 with graphql-js's own messages), go to it as well.
 */
export function useCompiledExecution(options: { schema: GraphQLSchema }): Plugin {
  // Keyed by the parsed document, which yoga caches per query text: compiled once, dropped with it.
  // A number: the runs so far, interpreted. Compiling costs several interpreted runs, so a document is
  // compiled once it has come COMPILE_AFTER_RUNS times: one whose text changes with each request
  // (inlined ids) is not compiled for nothing.
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | number | undefined>>();
  const compiledFor = (args: ExecutionArgs): CompiledQuery | undefined => {
    let byOperation = compiled.get(args.document);
    if (!byOperation) {
      byOperation = new Map();
      compiled.set(args.document, byOperation);
    }
    const name = args.operationName ?? "";
    if (!byOperation.has(name)) byOperation.set(name, benefits(args, options.schema) ? 0 : undefined);
    const known = byOperation.get(name);
    if (typeof known !== "number") return known;
    if (known + 1 < COMPILE_AFTER_RUNS) {
      byOperation.set(name, known + 1);
      return undefined;
    }
    const { compileQuery, isCompiledQuery } = loadJit();
    const candidate = compileQuery(args.schema, args.document, args.operationName ?? undefined);
    const query = isCompiledQuery(candidate) ? candidate : undefined;
    byOperation.set(name, query);
    return query;
  };
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const query = compiledFor(args);
      if (!query) return;
      const standard = executeFn as Execute;
      setExecuteFn(((executionArgs: ExecutionArgs) => {
        const answer = query.query(executionArgs.rootValue, executionArgs.contextValue, executionArgs.variableValues);
        const settle = (result: ExecutionResult) =>
          "data" in result ? withStandardErrors(result, executionArgs.document) : standard(executionArgs);
        return answer instanceof Promise ? answer.then(settle) : settle(answer);
      }) as typeof executeFn);
    },
  };
}

/**
 * graphql-jit's errors carry `locations` but not the source and positions graphql-js derives them
 * from, which the error masking rebuilds errors with: they are made graphql-js errors again.
 */
function withStandardErrors(result: ExecutionResult, document: DocumentNode): ExecutionResult {
  if (!result.errors?.length) return result;
  const source = document.loc?.source;
  const errors = result.errors.map((error) => {
    const positions = source && error.locations?.map((at) => offsetOf(source.body, at.line, at.column));
    return new GraphQLError(error.message, {
      source,
      positions,
      path: error.path,
      originalError: error.originalError,
      extensions: error.extensions,
    });
  });
  return { ...result, errors };
}

/** The character offset of a 1-based line and column. */
function offsetOf(body: string, line: number, column: number): number {
  let offset = 0;
  for (let at = 1; at < line; at++) offset = body.indexOf("\n", offset) + 1;
  return offset + column - 1;
}

/** A query of the client schema with nothing the standard executor must handle. */
function benefits(args: ExecutionArgs, clientSchema: GraphQLSchema): boolean {
  if (args.schema !== clientSchema) return false;
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation !== "query") return false;
  let plain = true;
  visit(args.document, {
    Directive(node) {
      if (node.name.value === "defer" || node.name.value === "stream") plain = false;
    },
    Field(node) {
      if (node.name.value.startsWith("__") && node.name.value !== "__typename") plain = false;
    },
  });
  return plain;
}
