// Prints schema/schema.graphql (the client-facing API) and schema/subgraph.graphql (the federation
// SDL, exactly as `_service { sdl }` serves it); with --check, fails when either committed file is stale.
import { readFile, writeFile } from "node:fs/promises";
import { graphql, lexicographicSortSchema, printSchema } from "graphql";
import { clientSchema, subgraphSchema } from "../src/schema/index.ts";

const service = await graphql({ schema: subgraphSchema, source: "{ _service { sdl } }" });
const subgraphSdl = (service.data?._service as { sdl?: string } | undefined)?.sdl;
if (service.errors || !subgraphSdl) throw new Error(`_service { sdl } failed: ${JSON.stringify(service.errors)}`);

const targets = [
  {
    path: new URL("../schema/schema.graphql", import.meta.url),
    sdl: `${printSchema(lexicographicSortSchema(clientSchema))}\n`,
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
