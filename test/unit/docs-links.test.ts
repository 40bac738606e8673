import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs")).flatMap((name) => (name.endsWith(".md") ? [`docs/${name}`] : [])),
];

/** The page's text outside fenced code blocks, where `](…)` and `#` lines are prose, not code. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "");
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(path: string): Set<string> {
  const headings = prose(readFileSync(path, "utf8")).match(/^#{1,6} .+$/gm) ?? [];
  return new Set(headings.map((line) => anchorOf(line.replace(/^#+ /, ""))));
}

/** Every relative link of a page: `](target)` or `](target#anchor)` or `](#anchor)`. */
function relativeLinks(page: string): string[] {
  const links = [...prose(readFileSync(join(ROOT, page), "utf8")).matchAll(/\]\(([^)\s]+)\)/g)].map(
    (m) => m[1] as string,
  );
  return links.filter((link) => !/^[a-z]+:/i.test(link));
}

describe("the documentation's links", () => {
  it("finds the pages and their links", () => {
    expect(PAGES).toContain("docs/architecture.md");
    expect(PAGES.flatMap(relativeLinks).length).toBeGreaterThan(20);
  });

  it.each(PAGES)("%s: every relative link points at a file that exists, and at a heading it has", (page) => {
    const broken: string[] = [];
    for (const link of relativeLinks(page)) {
      const [file = "", anchor] = link.split("#");
      const target = file === "" ? join(ROOT, page) : join(ROOT, dirname(page), file);
      if (!existsSync(target)) broken.push(`${link} (no ${relative(ROOT, target)})`);
      else if (anchor !== undefined && target.endsWith(".md") && !anchorsOf(target).has(anchor))
        broken.push(`${link} (no heading #${anchor} in ${relative(ROOT, target)})`);
    }
    expect(broken).toEqual([]);
  });

  it.each(PAGES)("%s: every source file it names in code (`src/…`, `test/…`, `bench/…`) exists", (page) => {
    const named = [
      ...readFileSync(join(ROOT, page), "utf8").matchAll(/`((?:src|test|bench|scripts|examples)\/[\w./-]+)`/g),
    ];
    // Files a run writes (bench/results/…) are not committed.
    const missing = named
      .map((m) => m[1] as string)
      .filter((path) => !path.startsWith("bench/results/") && !existsSync(join(ROOT, path)));
    expect(missing).toEqual([]);
  });
});
