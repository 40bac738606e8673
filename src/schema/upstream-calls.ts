import { decodeGlobalID } from "@pothos/plugin-relay";
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from "graphql";
import type { Context } from "../context.ts";

/** A lookup the request's loaders make at most once, however many fields ask for it. */
export type SharedLookup = "variants" | "signingKeys";

export interface CallEstimate {
  /** Calls of the field itself, each alias on its own. */
  readonly calls: number;
  readonly shared?: readonly SharedLookup[];
}

export type CallEstimator = CallEstimate | ((args: Record<string, unknown>, ctx: Context) => CallEstimate);

/** The field extension holding a field's estimator. */
export const UPSTREAM_CALLS = "upstreamCalls";

export const sharedLookup = (...shared: SharedLookup[]): CallEstimate => ({ calls: 0, shared });

/** What looking up these global ids costs: one call per distinct image, one list per other type. */
export function globalIdLookups(ids: readonly unknown[]): CallEstimate {
  const images = new Set<string>();
  const shared = new Set<SharedLookup>();
  for (const raw of ids) {
    let decoded: { typename: string; id: string };
    try {
      decoded = decodeGlobalID(String(raw));
    } catch {
      continue;
    }
    if (decoded.typename === "Image") images.add(decoded.id);
    else if (decoded.typename === "Variant") shared.add("variants");
    else if (decoded.typename === "SigningKey") shared.add("signingKeys");
  }
  return { calls: images.size, shared: [...shared] };
}

/**
 * An upper bound of the upstream calls an operation can cause, from its document and variables
 * alone, so a request over the limit is refused before any call. Every alias of a root field
 * counts; nested fields reach the upstream only through lookups the request makes once (lists
 * prime the image loader), so they count once per request, or once per mutation field, since a
 * mutation clears the loaders. A root field without an estimator counts one call.
 */
export function estimateUpstreamCalls(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | undefined,
  ctx: Context,
): number {
  const operation = getOperationAST(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return 0;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  // Bad variables fail the execution itself, before any resolver.
  if (coerced.errors) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const walk = new Walk(schema, fragments, coerced.coerced, ctx);
  if (operation.operation !== "mutation") {
    const shared = new Set<SharedLookup>();
    return walk.selections(operation.selectionSet, root, true, shared) + shared.size;
  }
  let total = 0;
  walk.eachRootField(operation.selectionSet, root, (count) => {
    total += count;
  });
  return total;
}

class Walk {
  readonly schema: GraphQLSchema;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly variables: Record<string, unknown>;
  readonly ctx: Context;

  constructor(
    schema: GraphQLSchema,
    fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    variables: Record<string, unknown>,
    ctx: Context,
  ) {
    this.schema = schema;
    this.fragments = fragments;
    this.variables = variables;
    this.ctx = ctx;
  }

  /** Calls of each root field with its own shared lookups (mutations clear the loaders between fields). */
  eachRootField(selectionSet: SelectionSetNode, root: GraphQLNamedType, report: (calls: number) => void): void {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const shared = new Set<SharedLookup>();
        const calls = this.selections({ kind: Kind.SELECTION_SET, selections: [selection] }, root, true, shared);
        report(calls + shared.size);
      } else {
        const inner = selection.kind === Kind.FRAGMENT_SPREAD ? this.fragments.get(selection.name.value) : selection;
        if (inner) this.eachRootField(inner.selectionSet, root, report);
      }
    }
  }

  selections(selectionSet: SelectionSetNode, type: GraphQLNamedType, root: boolean, shared: Set<SharedLookup>): number {
    let calls = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = this.fragments.get(selection.name.value);
        if (fragment) calls += this.selections(fragment.selectionSet, this.typeOf(fragment, type), root, shared);
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        calls += this.selections(selection.selectionSet, this.typeOf(selection, type), root, shared);
        continue;
      }
      const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[selection.name.value] : undefined;
      if (!field) continue;
      const estimate = this.estimate(field, selection, root);
      calls += estimate.calls;
      for (const lookup of estimate.shared ?? []) shared.add(lookup);
      if (selection.selectionSet)
        calls += this.selections(selection.selectionSet, getNamedType(field.type), false, shared);
    }
    return calls;
  }

  estimate(field: GraphQLField<unknown, unknown>, node: Parameters<typeof getArgumentValues>[1], root: boolean) {
    const estimator = field.extensions?.[UPSTREAM_CALLS] as CallEstimator | undefined;
    if (estimator === undefined) return { calls: root && !field.name.startsWith("__") ? 1 : 0 };
    if (typeof estimator !== "function") return estimator;
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(field, node, this.variables);
    } catch {
      // Arguments that do not coerce fail the field before it resolves.
      return { calls: 0 };
    }
    return estimator(args, this.ctx);
  }

  typeOf(fragment: { typeCondition?: { name: { value: string } } }, fallback: GraphQLNamedType): GraphQLNamedType {
    const name = fragment.typeCondition?.name.value;
    return (name && this.schema.getType(name)) || fallback;
  }
}
