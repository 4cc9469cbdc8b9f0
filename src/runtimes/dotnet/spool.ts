// Decoding a heap snapshot's spooled nettrace stream for the per-type counts, apart from the thread that drains the
// socket. The stream is written to a private file as it arrives (the runtime holds the whole heap walk in its
// buffers until it is read, so reading must not wait for decoding); a worker thread decodes the file as it grows,
// so that on a machine with a core to spare the counting is done about when the stream ends, and the daemon's event
// loop is never blocked by it. Where the worker cannot run (leakwatch run from its TypeScript sources, as in the
// tests, has no compiled worker file; or the worker fails to start), the file is decoded after the stream ends,
// a MiB at a time with a turn of the event loop between slices.
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { hasCompiledWorker } from "../../util/worker.js";
import { DumpError } from "../../model/dump.js";
import type { HeapGraph } from "../../model/heap-graph.js";
import { ParseError } from "../../model/parse-error.js";
import type { DumpSummaryBody } from "../../model/summary.js";
import { abortError } from "../../runtime-kit/abort.js";
import { DotnetGraphCollector, finishGraph, type GraphOutcome, type Replay } from "./graph.js";
import { HeapDumpAggregator, type HeapDumpSaved } from "./heapdump.js";
import { NettraceDecoder, type NettraceHandler, type NettraceStats } from "./protocol/nettrace.js";

export interface SpoolResult {
  agg: HeapDumpAggregator;
  stats: NettraceStats;
  /** Where it was decoded: "worker" (alongside the stream) or "main" (after it). */
  decodedIn: "worker" | "main";
  /** The heap graph's parts (or why there are none), when asked for. */
  graph?: GraphOutcome;
}

/** The aggregator and, when the graph is wanted, a graph collector, fed the same events. */
export function spoolHandlers(graph: boolean): { agg: HeapDumpAggregator; collector: DotnetGraphCollector | undefined; handler: NettraceHandler } {
  const agg = new HeapDumpAggregator();
  if (!graph) return { agg, collector: undefined, handler: agg };
  const collector = new DotnetGraphCollector();
  const handler: NettraceHandler = {
    onTrace: (info) => {
      agg.onTrace(info);
      collector.onTrace(info);
    },
    onDropped: (count) => {
      agg.onDropped(count);
      collector.onDropped(count);
    },
    onEvent: (meta, header, payload) => {
      agg.onEvent(meta, header, payload);
      collector.onEvent(meta, header, payload);
    },
  };
  return { agg, collector, handler };
}

/** Shared with the worker: [0] bytes written to the file so far, [1] the writer's state (SpoolState). */
export const SpoolState = { Writing: 0n, Done: 1n, Aborted: 2n } as const;

/** Messages from the worker. */
export type SpoolWorkerMessage =
  | { kind: "result"; saved: HeapDumpSaved; stats: NettraceStats; graph?: GraphOutcome }
  | { kind: "error"; parse: boolean; message: string };

const WORKER_FILE = new URL("./spool-worker.js", import.meta.url);

/** True where the compiled worker file sits next to this module (leakwatch built, not run from its sources). */
export function workerAvailable(): boolean {
  return hasCompiledWorker(import.meta.url, WORKER_FILE);
}

/** Decodes a spool file being written: wrote() after each write, then finish() for the result. */
export class SpoolDecoder {
  private readonly shared = new BigInt64Array(new SharedArrayBuffer(16));
  private written = 0;
  private worker: Worker | undefined;
  private outcome: Promise<SpoolWorkerMessage | Error> | undefined;

  constructor(
    private readonly file: string,
    useWorker = workerAvailable(),
    /** Build the heap graph too (in the worker; its typed arrays are transferred, not copied). */
    private readonly graph = false,
  ) {
    if (!useWorker) return;
    try {
      const worker = new Worker(WORKER_FILE, { workerData: { file, shared: this.shared, graph } });
      this.worker = worker;
      this.outcome = new Promise((resolve) => {
        worker.once("message", (m: SpoolWorkerMessage) => resolve(m));
        worker.once("error", (err) => resolve(err));
        worker.once("exit", (code) => resolve(new Error(`the spool decoding worker exited (code ${code})`)));
      });
    } catch {
      this.worker = undefined;
    }
  }

  /** Bytes appended to the file (after they are written). */
  wrote(n: number): void {
    this.written += n;
    if (this.worker === undefined) return;
    Atomics.store(this.shared, 0, BigInt(this.written));
    Atomics.notify(this.shared, 0);
  }

  /** The file is complete: its per-type counts. Throws DumpError (parse_error, io_error) or the abort. */
  async finish(signal: AbortSignal): Promise<SpoolResult> {
    if (this.worker !== undefined && this.outcome !== undefined) {
      this.setState(SpoolState.Done);
      const onAbort = (): void => void this.worker?.terminate();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        const m = await this.outcome;
        if (signal.aborted) throw abortError();
        if (!(m instanceof Error)) {
          if (m.kind === "result") return { agg: HeapDumpAggregator.restore(m.saved), stats: m.stats, decodedIn: "worker", graph: m.graph };
          throw new DumpError(m.parse ? "parse_error" : "io_error", `spooled nettrace stream: ${m.message}`);
        }
        // The worker could not do it (it did not start, or died): decoded here instead.
      } finally {
        signal.removeEventListener("abort", onAbort);
        this.close();
      }
    }
    return { ...(await decodeSpoolFile(this.file, signal, this.graph)), decodedIn: "main" };
  }

  /** Stops the worker (the dump ended another way). */
  close(): void {
    if (this.worker === undefined) return;
    this.setState(SpoolState.Aborted);
    void this.worker.terminate();
    this.worker = undefined;
  }

  private setState(state: bigint): void {
    Atomics.store(this.shared, 1, state);
    Atomics.notify(this.shared, 0);
  }
}

/** Decodes a complete spool file a MiB at a time: each read is asynchronous, so the event loop gets a turn between slices. */
export async function decodeSpoolFile(
  file: string,
  signal: AbortSignal,
  graph = false,
): Promise<{ agg: HeapDumpAggregator; stats: NettraceStats; graph?: GraphOutcome }> {
  const { agg, collector, handler } = spoolHandlers(graph);
  const decoder = new NettraceDecoder(handler);
  const input = createReadStream(file, { highWaterMark: 1024 * 1024 });
  try {
    for await (const chunk of input) {
      if (signal.aborted) throw abortError();
      decoder.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof ParseError) throw new DumpError("parse_error", `spooled nettrace stream: ${err.message}`);
    if (err instanceof DumpError || signal.aborted) throw err;
    throw new DumpError("io_error", `reading ${file}: ${(err as Error).message}`);
  } finally {
    input.destroy();
  }
  if (signal.aborted) throw abortError();
  let built: GraphOutcome | undefined;
  try {
    built = collector?.build(replayFile(file));
  } catch (err) {
    if (err instanceof ParseError) throw new DumpError("parse_error", `spooled nettrace stream: ${err.message}`);
    throw new DumpError("io_error", `reading ${file} again: ${(err as Error).message}`);
  }
  return { agg, stats: decoder.stats, graph: built };
}

/**
 * The graph's second read of a complete spool file, a MiB at a time. Synchronous: it runs where the graph is built
 * (the spool worker; or, where no worker runs, in one go after the stream, as the rest of the build does).
 */
export function replayFile(file: string, readSize = 1024 * 1024): Replay {
  return (handler) => {
    const decoder = new NettraceDecoder(handler);
    const buffers = new ReadBuffers(readSize);
    const fd = openSync(file, "r");
    try {
      for (let pos = 0; ; ) {
        const buf = buffers.next(decoder.pending);
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n <= 0) break;
        pos += n;
        decoder.push(buffers.filled(n));
      }
    } finally {
      closeSync(fd);
    }
  };
}

/**
 * Buffers to read a file into for a NettraceDecoder, a MiB each: two used in turn rather than a fresh one per read.
 * A buffer let go is freed only when the garbage collector runs, which a decoding thread that allocates little
 * seldom does: a fresh MiB per read held ~80 MB of garbage at a 10 M-object dump's peak. The decoder keeps (by
 * reference) the chunks holding its pending bytes; while those lie within the last buffer read, the other one is
 * free to read into; else (a block longer than a read) a fresh one replaces it.
 */
export class ReadBuffers {
  private readonly pair: Buffer[];
  private turn = 0;
  private lastFilled = 0;

  constructor(private readonly size = 1024 * 1024) {
    this.pair = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  }

  /** The buffer to read into next; pending: the decoder's pending bytes after the last push. */
  next(pending: number): Buffer {
    this.turn ^= 1;
    if (pending > this.lastFilled) this.pair[this.turn] = Buffer.allocUnsafe(this.size);
    return this.pair[this.turn]!;
  }

  /** The n bytes read into the buffer next() gave, to push. */
  filled(n: number): Buffer {
    this.lastFilled = n;
    const buf = this.pair[this.turn]!;
    return n === buf.length ? buf : buf.subarray(0, n);
  }
}

/**
 * Reads a kept heap snapshot stream (`--keep-dumps` keeps the .nettrace spool file) as a heap graph: `leakwatch
 * paths`. Nested types are named without their declaring types (the target's assembly files are not at hand).
 */
export async function readNettraceGraph(file: string): Promise<{ summary: DumpSummaryBody; graph: HeapGraph }> {
  const { agg, graph } = await decodeSpoolFile(file, new AbortController().signal, true);
  if (agg.state !== "complete") throw new ParseError("nettrace", 0, `${file} holds no complete GC heap snapshot`);
  if (graph === undefined || "error" in graph) throw new ParseError("nettrace", 0, `${file}: no heap graph (${graph?.error ?? "not built"})`);
  return { summary: agg.summary(), graph: finishGraph(graph.parts, agg.namer()) };
}
