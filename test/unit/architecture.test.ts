// The tree's layering, checked from the imports themselves: every folder of src/ sits on a layer, imports go only
// to lower layers (so there can be no folder cycle), the shared model imports nothing of leakwatch's, and each
// runtime's vocabulary stays in its own folder. A new folder must be placed in LAYERS.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const SRC = path.join(ROOT, "src");

/** Bottom first. A folder may import only folders on lower lines (and itself). */
const LAYERS: readonly (readonly string[])[] = [
  ["model"], // the shared model: dump summaries, type rows, the dump contract and its reasons
  ["util"],
  ["procfs", "formats"],
  ["cgroups", "runtime-kit"],
  ["leftovers"], // what leakwatch must not leave behind: its state file, the clean-up after a killed leakwatch
  ["runtimes/jvm", "runtimes/node", "runtimes/dotnet"],
  ["runtimes"], // the registry (index.ts)
  ["sources"],
  ["config"],
  ["targets", "analysis"],
  ["sampling"], // the memory sampler: the targets' memory on one tick, read by collectors, UI, heap triggers, report
  ["load", "heap"],
  ["collectors", "ui"],
  ["server"],
  ["daemon"], // src/daemon.ts
  ["report"],
  ["cli"],
  ["docs"], // the reference pages generated from the code above (npm run docs)
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

/** The folder a file belongs to, as LAYERS names it: runtimes/<name> is a folder of its own. */
function folderOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  if (parts.length === 1) return parts[0]!.replace(/\.[jt]s$/, "") === "daemon" ? "daemon" : `(root)/${parts[0]}`;
  if (parts[0] === "runtimes" && parts.length > 2) return `runtimes/${parts[1]}`;
  return parts[0]!;
}

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:\bfrom|\bimport\(|^import|declare module)\s*["'](\.[^"']+)["']/gm)) {
      const target = path.resolve(path.dirname(file), m[1]!);
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) out.push({ from, to, file: path.relative(ROOT, file), spec: m[1]! });
    }
  }
  return out;
}

const layerOf = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));

describe("architecture", () => {
  const all = edges();

  it("reads the imports (the checker itself works)", () => {
    expect(all.length).toBeGreaterThan(100);
    expect(all.some((e) => e.from === "cli" && e.to === "daemon")).toBe(true);
  });

  it("places every folder of src/ on a layer", () => {
    const folders = new Set(sourceFiles(SRC).map(folderOf));
    const unplaced = [...folders].filter((f) => !layerOf.has(f));
    expect(unplaced, "add these folders to LAYERS in test/unit/architecture.test.ts").toEqual([]);
  });

  it("imports only downwards: no folder imports one on its own or a higher layer, so no folder cycle", () => {
    const upward = all
      .filter((e) => (layerOf.get(e.to) ?? Infinity) >= (layerOf.get(e.from) ?? -Infinity))
      .map((e) => `${e.file} imports ${e.spec} (${e.from} → ${e.to})`);
    expect(upward).toEqual([]);
  });

  it("keeps the shared model free of leakwatch imports", () => {
    expect(all.filter((e) => e.from === "model").map((e) => e.file)).toEqual([]);
  });

  it("keeps each runtime's vocabulary in its folder", () => {
    const owners: [RegExp, string][] = [
      [/jcmd|GC\.class_histogram/, "runtimes/jvm"],
      [/nettrace|eventpipe/i, "runtimes/dotnet"],
      [/heapsnapshot/, "runtimes/node"],
    ];
    const strays: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, "utf8");
      for (const [word, owner] of owners) if (word.test(text) && folderOf(file) !== owner) strays.push(`${path.relative(ROOT, file)}: ${word}`);
    }
    expect(strays).toEqual([]);
  });
});
