#!/usr/bin/env node
// One run of bench/hprof in a process of its own (so that its peak RSS is the analysis's alone): reads FILE with the
// HPROF reader (in its worker thread), then dominators, retention per type, shortest paths and one path. Prints JSON.
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const load = (p) => import(pathToFileURL(path.join(ROOT, "dist", p)).href);
const { readHprofGraphOffThread } = await load("runtimes/jvm/hprof-thread.js");
const { dominators } = await load("analysis/retention/dominators.js");
const { dominatorTree, typeRetention } = await load("analysis/retention/retained.js");
const { shortestPaths, pathTo } = await load("analysis/retention/paths.js");

// As the daemon runs it (src/runtimes/jvm/source.ts, src/analysis/retention/analyse.ts): the file read in a worker
// thread whose arrays are transferred, then dominators, retention per type (retained sizes summed in the same walk)
// and paths.
const t0 = performance.now();
const { summary, graph } = await readHprofGraphOffThread(process.argv[2], new AbortController().signal);
const t1 = performance.now();
const tree = dominatorTree(graph, dominators(graph));
const types = typeRetention(graph, tree);
const t2 = performance.now();
// In the tree's memory, as analyseRetention does once the leaks are grouped.
const sp = shortestPaths(graph, new Int32Array(tree.start.buffer), new Uint32Array(tree.child.buffer));
let top = 0;
for (let t = 1; t < types.bytes.length; t++) if (types.bytes[t] > types.bytes[top]) top = t;
const steps = pathTo(graph, sp, types.largest[top]) ?? [];
const t3 = performance.now();
console.log(
  JSON.stringify({
    objects: graph.nodeCount,
    edges: graph.edgeTarget.length,
    types: summary.types.length,
    pathSteps: steps.length,
    topType: graph.typeNames[top],
    parseMs: t1 - t0,
    retentionMs: t2 - t1,
    pathsMs: t3 - t2,
    totalMs: t3 - t0,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
