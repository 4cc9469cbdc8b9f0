// The README stays a front page (at most 10,000 bytes; the rest lives in docs/), and every relative link in it
// and in docs/*.md points at a file that exists — and, with a #fragment into Markdown, at a heading that exists.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const PAGES = [
  "README.md",
  ...readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchors for a Markdown file's headings (a repeated heading gets -1, -2, …). */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutCode(readFileSync(file, "utf8")).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Fenced code blocks hold commands and examples, not links. */
function withoutCode(md: string): string {
  return md.replace(/^```[\s\S]*?^```/gm, "");
}

/** Relative link targets: [text](target) and [text]: target, minus web and mail links. */
function relativeLinks(md: string): string[] {
  const text = withoutCode(md).replace(/`[^`\n]*`/g, "");
  const targets = [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g), ...text.matchAll(/^\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]!);
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe("README and docs/", () => {
  it("README.md is at most 10,000 bytes", () => {
    const size = statSync(path.join(ROOT, "README.md")).size;
    expect(size, "README.md is a front page: move detail into docs/").toBeLessThanOrEqual(10_000);
  });

  it("README.md links the docs/ pages", () => {
    const links = relativeLinks(readFileSync(path.join(ROOT, "README.md"), "utf8")).map((l) => l.split("#")[0]);
    for (const page of PAGES.filter((p) => p.startsWith("docs/"))) expect(links, `README.md links ${page}`).toContain(page);
  });

  it.each(PAGES)("relative links in %s point at existing files and headings", (page) => {
    const from = path.dirname(path.join(ROOT, page));
    const links = relativeLinks(readFileSync(path.join(ROOT, page), "utf8"));
    for (const link of links) {
      const [target, fragment] = link.split("#") as [string, string | undefined];
      const file = target === "" ? path.join(ROOT, page) : path.resolve(from, decodeURI(target));
      expect(existsSync(file), `${page}: ${link} → no such file`).toBe(true);
      if (fragment && file.endsWith(".md")) expect(anchors(file), `${page}: ${link} → no such heading`).toContain(fragment);
    }
  });
});
