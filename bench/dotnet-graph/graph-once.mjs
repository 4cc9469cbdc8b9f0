#!/usr/bin/env node
// One heap dump of a .NET process with its heap graph, then the retention analysis on it (dominators, retained
// sizes per object and per type, shortest paths from the roots, the path to the largest instance of the type that
// retains most), in a process of its own so that its peak RSS is leakwatch's alone. Prints one JSON line.
//   node bench/dotnet-graph/graph-once.mjs PID [PRIVATE_DIR]
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const load = (m) => import(pathToFileURL(path.join(ROOT, "dist", m)).href);
const { DotnetEventPipeSource } = await load("runtimes/dotnet/eventpipe-source.js");
const { dominators } = await load("analysis/retention/dominators.js");
const { typeRetention } = await load("analysis/retention/retained.js");
const { shortestPaths, pathTo } = await load("analysis/retention/paths.js");

const pid = Number(process.argv[2]);
const dir = mkdtempSync(path.join(process.argv[3] ?? os.tmpdir(), "lw-bench-"));
const quiet = { info() {}, warn() {}, debug() {}, error() {} };
const rssMB = () => process.memoryUsage().rss / 1048576;
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
  const t1 = performance.now();
  const dom = dominators(g);
  const t2 = performance.now();
  // As analyseRetention runs them: retained sizes summed in the walk per type, the paths in the dominators' scratch.
  const types = typeRetention(g, dom);
  const t3 = performance.now();
  const sp = shortestPaths(g, new Int32Array(dom.scratch.buffer));
  let top = 0;
  for (let t = 1; t < g.typeNames.length; t++) if (types.bytes[t] > types.bytes[top]) top = t;
  const best = types.largest[top];
  const p = best < 0 ? [] : (pathTo(g, sp, best) ?? []);
  const t4 = performance.now();
  out = {
    ok: true,
    dumpMs,
    buildMs,
    dominatorsMs: t2 - t1,
    retainedMs: t3 - t2,
    pathsMs: t4 - t3,
    analysisMs: buildMs + (t4 - t1),
    objects: g.nodeCount,
    references: g.edgeTarget.length,
    roots: g.roots.length,
    topType: g.typeNames[top],
    path: p.map((s) => `${s.edge} → ${s.type}`),
    rssAfterDumpMB: rssAfterDump,
    peakDumpMB,
  };
} catch (err) {
  out = { ok: false, reason: err.reason, error: err.message };
}
rmSync(dir, { recursive: true, force: true });
out.maxRssMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(out));
