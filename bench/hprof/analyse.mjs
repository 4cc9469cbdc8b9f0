#!/usr/bin/env node
// One run of bench/hprof in a process of its own (so that its peak RSS is the analysis's alone): reads FILE with the
// HPROF reader, then dominators, retained sizes per object and per type, shortest paths and one path. Prints JSON.
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const load = (p) => import(pathToFileURL(path.join(ROOT, "dist", p)).href);
const { readHprofGraph } = await load("runtimes/jvm/hprof.js");
const { dominators } = await load("analysis/retention/dominators.js");
const { retainedSizes, typeRetention } = await load("analysis/retention/retained.js");
const { shortestPaths, pathTo } = await load("analysis/retention/paths.js");

const t0 = performance.now();
const { summary, graph } = await readHprofGraph(process.argv[2]);
const t1 = performance.now();
const dom = dominators(graph);
const retained = retainedSizes(graph, dom);
const types = typeRetention(graph, dom, retained);
const t2 = performance.now();
const sp = shortestPaths(graph);
let biggest = 0;
for (let v = 1; v < graph.nodeCount; v++) if (retained[v] > retained[biggest]) biggest = v;
const steps = pathTo(graph, sp, biggest) ?? [];
const t3 = performance.now();
console.log(
  JSON.stringify({
    objects: graph.nodeCount,
    edges: graph.edgeTarget.length,
    types: summary.types.length,
    pathSteps: steps.length,
    topType: types.bytes.length,
    parseMs: t1 - t0,
    retentionMs: t2 - t1,
    pathsMs: t3 - t2,
    totalMs: t3 - t0,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
