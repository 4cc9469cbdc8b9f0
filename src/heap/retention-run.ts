// Runs analyseRetention in a worker thread when leakwatch runs from its build (dist/), inline otherwise (tests
// run the TypeScript sources, where a worker cannot load a .ts file).
import { Worker } from "node:worker_threads";
import { hasCompiledWorker } from "../util/worker.js";
import { type HeapGraph, graphBuffers } from "../model/heap-graph.js";
import { analyseRetention, type RetentionResult } from "../analysis/retention/analyse.js";

const WORKER_FILE = new URL("./retention-worker.js", import.meta.url);

/**
 * Analyses the graph off the event loop. The graph is unusable afterwards (its arrays moved to the worker).
 * Rejects on a failure of the analysis; the worker is ended when `signal` aborts.
 */
export function analyseRetentionOffThread(
  graph: HeapGraph,
  suspects: ReadonlySet<string>,
  candidates: ReadonlySet<string>,
  growth: ReadonlyMap<string, number>,
  signal?: AbortSignal,
): Promise<RetentionResult> {
  if (!hasCompiledWorker(import.meta.url, WORKER_FILE)) return Promise.resolve().then(() => analyseRetention(graph, suspects, candidates, growth));
  const plain: HeapGraph = { ...graph, typeNames: [...graph.typeNames], names: [...graph.names] };
  const worker = new Worker(WORKER_FILE, {
    workerData: { graph: plain, suspects: [...suspects], candidates: [...candidates], growth: [...growth] },
    transferList: graphBuffers(graph),
  });
  return new Promise<RetentionResult>((resolve, reject) => {
    const onAbort = (): void => void worker.terminate();
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.once("message", (m: { ok: true; result: RetentionResult } | { ok: false; message: string }) => {
      if (m.ok) resolve(m.result);
      else reject(new Error(m.message));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      signal?.removeEventListener("abort", onAbort);
      reject(new Error(`the retention analysis ended without a result (exit ${code})`));
    });
  });
}
