import type { ObjectFieldBuilder } from "@pothos/core";
import { type builder, QueryRef } from "./builder.ts";

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** Relay's `query` field on a payload: read anything after the change, in the same request. */
export function queryField<Shape>(t: ObjectFieldBuilder<Types, Shape>) {
  return t.field({
    type: QueryRef,
    description: "The query root, to read back anything after the change in the same request.",
    resolve: () => ({}),
  });
}
