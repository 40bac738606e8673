// Prints docs/configuration.md from the variables declared in src/config/; with --check, fails when it is stale.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { configurationReference } from "../src/config/reference.ts";

const path = new URL("../docs/configuration.md", import.meta.url);
const text = configurationReference();
const current = await readFile(path, "utf8").catch(() => "");
if (current === text) process.exitCode = 0;
else if (process.argv.includes("--check")) {
  console.error(`${path.pathname} is stale: run \`npm run docs\` and commit the result.`);
  process.exitCode = 1;
} else {
  await mkdir(new URL(".", path), { recursive: true });
  await writeFile(path, text);
  console.log(`wrote ${path.pathname}`);
}
