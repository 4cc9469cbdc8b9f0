// The worker thread of hprof-thread.ts: reads one HPROF file into its summary and graph (blocking reads are fine
// here: this thread does nothing else) and posts them back, the graph's arrays transferred, not copied.
import { parentPort, workerData } from "node:worker_threads";
import { ParseError } from "../../model/parse-error.js";
import { readHprofGraph } from "./hprof.js";
import { graphBuffers } from "../../model/heap-graph.js";
import type { HprofWorkerMessage } from "./hprof-thread.js";

const { file } = workerData as { file: string };
try {
  const { summary, graph } = await readHprofGraph(file);
  const message: HprofWorkerMessage = { kind: "result", summary, graph };
  parentPort!.postMessage(message, graphBuffers(graph));
} catch (err) {
  const message: HprofWorkerMessage =
    err instanceof ParseError
      ? { kind: "error", parse: true, line: err.line, message: err.reason }
      : { kind: "error", parse: false, line: 0, message: err instanceof Error ? err.message : String(err) };
  parentPort!.postMessage(message);
}
