// Helpers for the cgroup fixture trees in test/fixtures/cgroups/ (see its README.md).
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = path.resolve(fileURLToPath(new URL("../../fixtures/cgroups/", import.meta.url)));

export const UNLIMITED_V1 = "9223372036854771712";
export const POD_UID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
export const APP_ID = "a172cedcae47474b615c54d510a5d84a8dea3032e958587430b413538be3f333";
export const PAUSE_ID = "6210c0bf05396716df932f0729df69de0533933e5ad9871fd07b61811c4c28df";
export const DOCKER_ID = "d548c5b83fa61d8e3bd86ad42a7ffea9b7c86e3f9d8095c1577d3e1270bb9420";

export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

export function fixtureDir(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

/** Escapes a path as mountinfo does: space, tab, newline and backslash as 3-digit octal. */
export function mountinfoEscape(p: string): string {
  return p.replace(/[ \t\n\\]/g, (c) => "\\" + c.charCodeAt(0).toString(8).padStart(3, "0"));
}

/** A scratch directory removed by cleanup(). */
export function scratch(prefix = "lw-cg-"): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes the fixture's mountinfo (with @ROOT@ replaced by the fixture's absolute path) into `into` and returns
 * the file's path, for findMemoryMounts().
 */
export function mountinfoFor(into: string, tree: string, file = "mountinfo"): string {
  const text = readFileSync(fixtureDir(tree, file), "utf8").replaceAll("@ROOT@", mountinfoEscape(fixtureDir(tree)));
  const out = path.join(into, `${tree}.${file}`);
  writeFileSync(out, text);
  return out;
}

/** Builds a tree from a compact description: { "a/b/memory.max": "max", ... } (a trailing newline is added). */
export function writeTree(root: string, files: Record<string, string>): string {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content === "" ? "" : content + "\n");
  }
  return root;
}
