// The retention analysis off the event loop: dominators of a 10 M-object heap take seconds of CPU, during which
// /metrics and the API must still answer. The graph's arrays are moved to the worker (transferred, not copied).
import { parentPort, workerData } from "node:worker_threads";
import type { HeapGraph } from "../model/heap-graph.js";
import { analyseRetention } from "../analysis/retention/analyse.js";

interface Job {
  graph: HeapGraph;
  suspects: string[];
  candidates: string[];
  growth: [string, number][];
}

const job = workerData as Job;
try {
  parentPort!.postMessage({ ok: true, result: analyseRetention(job.graph, new Set(job.suspects), new Set(job.candidates), new Map(job.growth)) });
} catch (err) {
  parentPort!.postMessage({ ok: false, message: (err as Error).message });
}
