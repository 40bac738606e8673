import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../../src");
/** Where the upstream's write methods may be called: the write path, the cache decorator that wraps them, and the client itself. */
const ALLOWED = ["writes/", "cache/cached-api.ts", "upstream/", "emulator/"];
const WRITE_CALL =
  /\.(images\.(update|delete|upload)|directUploads\.create|variants\.(create|update|delete)|keys\.(create|delete))\(/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("the one write path", () => {
  it("is the only caller of the upstream's write methods in the server", () => {
    const callers = sourceFiles(SRC)
      .map((path) => relative(SRC, path))
      .filter((path) => !ALLOWED.some((allowed) => path.startsWith(allowed)))
      .filter((path) => WRITE_CALL.test(readFileSync(join(SRC, path), "utf8")));
    expect(callers).toEqual([]);
  });

  it("is the only publisher of imageChanged: resolvers consume change events instead", () => {
    const publishers = sourceFiles(join(SRC, "schema")).filter((path) =>
      /publishChanged|pubsub\.publish/.test(readFileSync(path, "utf8")),
    );
    expect(publishers).toEqual([]);
  });
});
