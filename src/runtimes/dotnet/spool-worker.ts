// The worker thread of spool.ts: decodes a spooled nettrace stream while it is being written, reading only what the
// writer says is there (shared [0]), waiting on it when caught up, until the writer says it is done (shared [1]);
// then posts the aggregated result. Blocking reads and waits are fine here: this thread does nothing else.
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { ParseError } from "../../model/parse-error.js";
import { graphTransfer } from "./graph.js";
import { NettraceDecoder } from "./protocol/nettrace.js";
import { ReadBuffers, replayFile, SpoolState, type SpoolWorkerMessage, spoolHandlers } from "./spool.js";

const { file, shared, graph } = workerData as { file: string; shared: BigInt64Array; graph?: boolean };

function run(): SpoolWorkerMessage {
  const { agg, collector, handler } = spoolHandlers(graph === true);
  const decoder = new NettraceDecoder(handler);
  const buffers = new ReadBuffers();
  const fd = openSync(file, "r");
  try {
    let pos = 0;
    for (;;) {
      const written = Number(Atomics.load(shared, 0));
      if (pos < written) {
        const buf = buffers.next(decoder.pending);
        const n = readSync(fd, buf, 0, Math.min(buf.length, written - pos), pos);
        if (n <= 0) throw new Error(`the spool file ended at byte ${pos}, ${written} written`);
        pos += n;
        decoder.push(buffers.filled(n));
        continue;
      }
      const state = Atomics.load(shared, 1);
      if (state === SpoolState.Aborted) return { kind: "error", parse: false, message: "aborted" };
      if (state === SpoolState.Done) {
        // The writer may have written more between the two loads.
        if (pos < Number(Atomics.load(shared, 0))) continue;
        return { kind: "result", saved: agg.save(), stats: decoder.stats, graph: collector?.build(replayFile(file)) };
      }
      Atomics.wait(shared, 0, BigInt(written), 100);
    }
  } catch (err) {
    return { kind: "error", parse: err instanceof ParseError, message: (err as Error).message };
  } finally {
    closeSync(fd);
  }
}

const message = run();
// The graph's typed arrays move to the main thread rather than being copied (hundreds of MB on a large heap).
parentPort?.postMessage(message, message.kind === "result" ? graphTransfer(message.graph) : []);
