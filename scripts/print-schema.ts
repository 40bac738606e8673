// Prints the SDL to schema/schema.graphql; with --check, fails when the committed file is stale.
import { readFile, writeFile } from "node:fs/promises";
import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "../src/schema/index.ts";

const targets = [
  {
    path: new URL("../schema/schema.graphql", import.meta.url),
    sdl: `${printSchema(lexicographicSortSchema(schema))}\n`,
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
