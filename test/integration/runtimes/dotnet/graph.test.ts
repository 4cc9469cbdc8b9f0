// The .NET heap graph of real programs (test/fixtures/dotnet/retention) through the retention analysis: an owner
// type kept in a static List, each holding a byte[], strings and a List<Item>, is exactly one leak rooted at the
// owner, its members inside, the static field's name on its path and the List's backing array as accumulation point; what
// a WeakReference points at is not retained by it; a program that leaks nothing has no leak; two independent leaks
// are two. The growing types are found as the daemon finds them: by comparing two dumps of the program.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dominators } from "../../../../src/analysis/retention/dominators.js";
import { leaksIn } from "../../../../src/analysis/retention/analyse.js";
import { retainedSizes } from "../../../../src/analysis/retention/retained.js";
import type { DumpBody } from "../../../../src/model/dump.js";
import type { HeapGraph } from "../../../../src/model/heap-graph.js";
import { DotnetEventPipeSource } from "../../../../src/runtimes/dotnet/eventpipe-source.js";
import { readNettraceGraph } from "../../../../src/runtimes/dotnet/spool.js";
import { skipReason } from "../../../helpers/env.js";
import { DotnetTarget, buildProgram, dotnetMissing, makeContext } from "./helpers.js";

const skip = skipReason("dotnet heap graph tests", dotnetMissing());
const sources = path.resolve(__dirname, "../../../fixtures/dotnet/retention");
const NS = "Leakwatch.Retention.";
const GROW = 2000;

async function dumpGraph(pid: number, keep?: string): Promise<DumpBody & { graph: HeapGraph }> {
  const ctx = { ...makeContext(pid), graph: true };
  if (keep !== undefined) ctx.disposeRaw = async (file: string) => copyFileSync(file, keep);
  try {
    const body = await new DotnetEventPipeSource().dump(ctx);
    if (body.graph === undefined) throw new Error(`no graph: ${body.notes.join("; ")}`);
    return body as DumpBody & { graph: HeapGraph };
  } finally {
    ctx.cleanup();
  }
}

/** Types that grew by at least one instance (or 8 bytes) per grown owner between two dumps: the growing set. */
function growing(before: DumpBody, after: DumpBody & { graph: HeapGraph }): Set<number> {
  const old = new Map(before.types.map((t) => [t.type, t]));
  const out = new Set<number>();
  for (const t of after.types) {
    const o = old.get(t.type);
    if (t.count - (o?.count ?? 0) >= GROW || t.bytes - (o?.bytes ?? 0) >= 8 * GROW) out.add(after.graph.typeNames.indexOf(t.type));
  }
  return out;
}

function analyse(g: HeapGraph, grow: Set<number>) {
  const dom = dominators(g);
  const retained = retainedSizes(g, dom);
  return { idom: dom.idom, retained, leaks: leaksIn(g, grow) };
}

/**
 * Dumps, grows by GROW, dumps again: the second dump and the types that grew. A first dump before warms the runtime
 * up (its first EventPipe session allocates the EventSource machinery: reflection objects that would look grown).
 */
async function grownDumps(target: DotnetTarget, keep?: string) {
  await dumpGraph(target.pid);
  await target.command(`grow ${GROW}`);
  const before = await dumpGraph(target.pid);
  await target.command(`grow ${GROW}`);
  const after = await dumpGraph(target.pid, keep);
  return { after, grow: growing(before, after) };
}

describe.skipIf(skip)("dotnet heap graph (real .NET programs)", () => {
  let dll: string;
  const dirs: string[] = [];
  beforeAll(() => {
    dll = buildProgram(sources, "Retention");
  }, 300_000);
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  describe("an owner in a static List", () => {
    let target: DotnetTarget;
    let result: Awaited<ReturnType<typeof grownDumps>>;
    let kept: string;
    beforeAll(async () => {
      target = await DotnetTarget.spawn("dotnet", [dll, "leak"]);
      const dir = mkdtempSync(path.join(tmpdir(), "lw-graph-kept-"));
      dirs.push(dir);
      kept = path.join(dir, "kept.nettrace");
      result = await grownDumps(target, kept);
    }, 120_000);
    afterAll(async () => target?.kill());

    it("is one leak rooted at the owner, members inside, the static field on its path, the List's array as accumulation point", () => {
      const { after, grow } = result;
      const g = after.graph;
      expect(g.nodeCount).toBe(after.totalObjects);
      expect(g.nodeType).toBeInstanceOf(Uint16Array); // a few thousand types: 2 bytes an object
      expect(g.nodeSize).toBeInstanceOf(Uint32Array); // no object of 4 GiB: 4 bytes an object
      // The GC walks its regions in address order: addresses are matched by page, with no table per object.
      expect(after.notes.join("\n")).toMatch(/addresses by page/);
      expect(grow.has(g.typeNames.indexOf(`${NS}Owner`))).toBe(true);
      const { leaks } = analyse(g, grow);
      expect(leaks.map((l) => l.root)).toEqual([`${NS}Owner`]);
      const leak = leaks[0]!;
      expect(leak.instances).toBe(2 * GROW);
      const members = leak.members.map((m) => m.type);
      for (const m of ["System.Byte[]", "System.String", `System.Collections.Generic.List<${NS}Item>`, `${NS}Item`, `${NS}Cached`, "System.WeakReference"]) {
        expect(members).toContain(m);
      }
      expect(leak.accumulationPoint).toBe(`${NS}Owner[]`);
      expect(leak.path[0]!.edge).toBe(`static ${NS}Program.Owners`);
      expect(leak.path.map((s) => s.type)).toEqual([`System.Collections.Generic.List<${NS}Owner>`, `${NS}Owner[]`, `${NS}Owner`]);
      // The runtime names no fields; the assemblies do: List<T>'s array is its `_items`.
      expect(leak.path.map((s) => s.edge)).toEqual([`static ${NS}Program.Owners`, "_items", "[]"]);
      // Each owner retains its byte[] (1 KiB), two strings, its list and items and its Cached.
      expect(leak.retainedBytes).toBeGreaterThan(2 * GROW * (1024 + 2 * 200 + 256 + 4 * 24));
    });

    it("a WeakReference does not retain: what it points at is retained by the owner that holds it strongly", () => {
      const g = result.after.graph;
      const { idom, retained } = analyse(g, result.grow);
      const cached = g.typeNames.indexOf(`${NS}Cached`);
      const owner = g.typeNames.indexOf(`${NS}Owner`);
      let n = 0;
      for (let v = 0; v < g.nodeCount; v++) {
        if (g.nodeType[v] !== cached) continue;
        n++;
        expect(g.nodeType[idom[v]!], "a Cached is dominated by its Owner, not by its weak handle").toBe(owner);
      }
      expect(n).toBe(2 * GROW);
      for (const r of g.roots) expect(g.nodeType[r]).not.toBe(cached);
      // What only a WeakReference held is gone (the induced GC collected it), and the WeakReference objects retain nothing.
      expect(g.typeNames.indexOf(`${NS}WeakOnly`)).toBe(-1);
      const weakRef = g.typeNames.indexOf("System.WeakReference");
      for (let v = 0; v < g.nodeCount; v++) if (g.nodeType[v] === weakRef) expect(retained[v]).toBe(g.nodeSize[v]);
    });

    it("the kept .nettrace file reads as the same graph (leakwatch paths)", async () => {
      const { graph, summary } = await readNettraceGraph(kept);
      expect(graph.nodeCount).toBe(result.after.graph.nodeCount);
      expect(graph.edgeTarget.length).toBe(result.after.graph.edgeTarget.length);
      expect(summary.totalObjects).toBe(result.after.totalObjects);
    });
  });

  it("a program that leaks nothing has no leak", async () => {
    const target = await DotnetTarget.spawn("dotnet", [dll, "steady"]);
    try {
      const { after, grow } = await grownDumps(target);
      expect([...grow].map((t) => after.graph.typeNames[t])).toEqual([]);
      expect(analyse(after.graph, grow).leaks).toEqual([]);
    } finally {
      await target.kill();
    }
  }, 120_000);

  it("two independent leaks are two", async () => {
    const target = await DotnetTarget.spawn("dotnet", [dll, "two"]);
    try {
      const { after, grow } = await grownDumps(target);
      const leaks = analyse(after.graph, grow).leaks;
      expect(leaks.map((l) => l.root).sort()).toEqual([`${NS}Owner`, `${NS}Session`]);
      const session = leaks.find((l) => l.root === `${NS}Session`)!;
      expect(session.path[0]!.edge).toBe(`static ${NS}Program.Sessions`);
      expect(session.members.map((m) => m.type)).toContain("System.Char[]");
    } finally {
      await target.kill();
    }
  }, 120_000);
});
