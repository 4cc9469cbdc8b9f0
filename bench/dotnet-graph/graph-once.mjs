#!/usr/bin/env node
// One heap dump of a .NET process with its heap graph, then the retention analysis on it as the daemon runs it
// (analyseRetention: dominators, the dominator tree, retained bytes per type, the leaks grouped by owner and their
// paths), in a process of its own so that its peak RSS is leakwatch's alone: the dump's and the analysis's peaks
// apart. Prints one JSON line.
//   node bench/dotnet-graph/graph-once.mjs PID [PRIVATE_DIR]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const load = (m) => import(pathToFileURL(path.join(ROOT, "dist", m)).href);
const { DotnetEventPipeSource } = await load("runtimes/dotnet/eventpipe-source.js");
const { analyseRetention } = await load("analysis/retention/analyse.js");

const pid = Number(process.argv[2]);
const dir = mkdtempSync(path.join(process.argv[3] ?? os.tmpdir(), "lw-bench-"));
const quiet = { info() {}, warn() {}, debug() {}, error() {} };
const rssMB = () => process.memoryUsage().rss / 1048576;
/** VmHWM: the peak RSS since the start, or since resetPeak(). */
const hwmMB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? NaN) / 1024;
/** Resets VmHWM (Linux: "5" to clear_refs), so that the analysis's peak is measured apart from the dump's. */
const resetPeak = () => {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
};
let out;
try {
  const t0 = performance.now();
  const body = await new DotnetEventPipeSource({ keepRaw: false }).dump({
    pid,
    command: "",
    signal: AbortSignal.timeout(600_000),
    privateDir: dir,
    disposeRaw: async () => {},
    graph: true,
    logger: { ...quiet, child: () => quiet },
  });
  const dumpMs = performance.now() - t0;
  const g = body.graph;
  if (g === undefined) throw Object.assign(new Error(`no graph: ${body.notes.join("; ")}`), { reason: "no_graph" });
  const buildMs = Number(/built in ([\d.]+) s/.exec(body.notes.join("\n"))?.[1] ?? NaN) * 1000;
  const rssAfterDump = rssMB();
  // Peak so far: the dump, with the graph built in the worker and handed over, before any analysis.
  const peakDumpMB = process.resourceUsage().maxRSS / 1024;
  // The analysis as the daemon runs it (src/heap/retention-run.ts → analyseRetention): dominators, the dominator tree,
  // retention per type, the leaks grouped by owner with their paths, the two leaking types (BigHeap's) as suspects.
  const peakReset = resetPeak();
  const t1 = performance.now();
  const suspects = new Set(["Leakwatch.Big.Other+Inner", "Leakwatch.Big.Outer+Inner"]);
  const result = analyseRetention(g, suspects);
  const t2 = performance.now();
  const peakAnalysisMB = peakReset ? hwmMB() : Number.NaN;
  const top = result.types[0];
  const p = result.leaks[0]?.path ?? [];
  out = {
    ok: true,
    dumpMs,
    buildMs,
    retentionMs: t2 - t1,
    analysisMs: buildMs + (t2 - t1),
    objects: g.nodeCount,
    references: g.edgeTarget.length,
    roots: g.roots.length,
    topType: top?.type,
    leaks: result.leaks.map((l) => `${l.root} (${l.members.length} members, accumulated in ${l.accumulationPoint ?? "—"})`),
    path: p.map((s) => `${s.edge} → ${s.type}`),
    rssAfterDumpMB: rssAfterDump,
    peakDumpMB,
    peakAnalysisMB,
  };
} catch (err) {
  out = { ok: false, reason: err.reason, error: err.message };
}
rmSync(dir, { recursive: true, force: true });
// The whole run's peak: the dump's (measured before the reset) or the analysis's, whichever is higher.
out.maxRssMB = Math.max(out.peakDumpMB ?? 0, process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify(out));
