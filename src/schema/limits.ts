import type { GraphQLResolveInfo } from "graphql";
import { forbiddenError, limitError } from "../errors.ts";

/** What one upstream call weighs in the cost limit, against 1 for a plain field. */
export const UPSTREAM_CALL_COST = 10;

/** The cost of a field that calls the upstream once per request (loaders dedupe the rest). */
export const upstreamCall = { field: UPSTREAM_CALL_COST, multiplier: 1 } as const;

/** Scope-auth's refusal: the field is null, the rest of the answer stands. */
export function forbidden(info: GraphQLResolveInfo) {
  return forbiddenError(`Your credentials do not allow ${info.parentType.name}.${info.fieldName}.`);
}

export function costError(cost: number, maxCost: number) {
  return limitError(`The operation costs ${cost}, over the limit of ${maxCost} (MAX_COST).`, "cost", {
    extensions: { cost, maxCost },
  });
}

export function upstreamCallsError(upstreamCalls: number, maxUpstreamCalls: number) {
  return limitError(
    `The operation could cause ${upstreamCalls} upstream calls, over the limit of ${maxUpstreamCalls} (MAX_UPSTREAM_CALLS_PER_REQUEST).`,
    "upstreamCalls",
    { extensions: { upstreamCalls, maxUpstreamCalls } },
  );
}
