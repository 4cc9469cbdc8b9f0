// Reading an HPROF file off the daemon's event loop: a 1 GB dump takes seconds of synchronous parsing, during which
// the metrics endpoint and every other target would wait. A worker thread reads it; where the worker cannot run
// (leakwatch run from its TypeScript sources, as in the tests, has no compiled worker file), it is read here.
import { Worker } from "node:worker_threads";
import { hasCompiledWorker } from "../../util/worker.js";
import type { HeapGraph } from "../../model/heap-graph.js";
import { ParseError } from "../../model/parse-error.js";
import type { DumpSummaryBody } from "../../model/summary.js";
import { abortError } from "../../runtime-kit/abort.js";
import { readHprofGraph } from "./hprof.js";

export type HprofWorkerMessage =
  | { kind: "result"; summary: DumpSummaryBody; graph: HeapGraph }
  | { kind: "error"; parse: boolean; line: number; message: string };

const WORKER_FILE = new URL("./hprof-worker.js", import.meta.url);

/** True where the compiled worker file sits next to this module (leakwatch built, not run from its sources). */
export function hprofWorkerAvailable(): boolean {
  return hasCompiledWorker(import.meta.url, WORKER_FILE);
}

/** readHprofGraph in a worker thread when there is one; an abort stops it. Throws ParseError like readHprofGraph. */
export async function readHprofGraphOffThread(
  file: string,
  signal: AbortSignal,
  useWorker = hprofWorkerAvailable(),
): Promise<{ summary: DumpSummaryBody; graph: HeapGraph }> {
  if (signal.aborted) throw abortError();
  if (!useWorker) return readHprofGraph(file);
  const worker = new Worker(WORKER_FILE, { workerData: { file } });
  const onAbort = (): void => void worker.terminate();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const m = await new Promise<HprofWorkerMessage | Error>((resolve) => {
      worker.once("message", (msg: HprofWorkerMessage) => resolve(msg));
      worker.once("error", (err) => resolve(err));
      worker.once("exit", (code) => resolve(new Error(`the HPROF reading worker exited (code ${code})`)));
    });
    if (signal.aborted) throw abortError();
    if (m instanceof Error) throw m;
    if (m.kind === "error") throw m.parse ? new ParseError("hprof", m.line, m.message) : new Error(m.message);
    return { summary: m.summary, graph: m.graph };
  } finally {
    signal.removeEventListener("abort", onAbort);
    // Awaited: the reader's own working memory (the object ids, ~8 bytes an object) goes with the thread, before the
    // analysis that follows allocates its own.
    await worker.terminate();
  }
}
