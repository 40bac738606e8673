// Prints schema/schema.graphql (the client-facing API), schema/subgraph.graphql (the federation SDL,
// exactly as `_service { sdl }` serves it) and schema/possible-types.json (each union and interface
// with its member types, Apollo Client's `possibleTypes`); with --check, fails when any is stale.
import { readFile, writeFile } from "node:fs/promises";
import { graphql, isAbstractType, lexicographicSortSchema, printSchema } from "graphql";
import { clientSchema, subgraphSchema } from "../src/schema/index.ts";

const service = await graphql({ schema: subgraphSchema(), source: "{ _service { sdl } }" });
const subgraphSdl = (service.data?._service as { sdl?: string } | undefined)?.sdl;
if (service.errors || !subgraphSdl) throw new Error(`_service { sdl } failed: ${JSON.stringify(service.errors)}`);

const sortedClientSchema = lexicographicSortSchema(clientSchema);
const possibleTypes = Object.fromEntries(
  Object.values(sortedClientSchema.getTypeMap())
    .filter(isAbstractType)
    .map((type) => [
      type.name,
      sortedClientSchema
        .getPossibleTypes(type)
        .map((t) => t.name)
        .sort(),
    ]),
);

const targets = [
  {
    path: new URL("../schema/schema.graphql", import.meta.url),
    sdl: `${printSchema(sortedClientSchema)}\n`,
  },
  {
    path: new URL("../schema/possible-types.json", import.meta.url),
    sdl: `${JSON.stringify(possibleTypes, null, 2)}\n`,
  },
  {
    path: new URL("../schema/subgraph.graphql", import.meta.url),
    sdl: `${subgraphSdl}\n`,
  },
];

const check = process.argv.includes("--check");
let stale = false;
for (const { path, sdl } of targets) {
  const current = await readFile(path, "utf8").catch(() => "");
  if (current === sdl) continue;
  if (check) {
    console.error(`${path.pathname} is stale: run \`npm run schema\` and commit the result.`);
    stale = true;
  } else {
    await writeFile(path, sdl);
    console.log(`wrote ${path.pathname}`);
  }
}
process.exitCode = stale ? 1 : 0;
