// The native .NET heap source ("dotnet"): per-type heap statistics straight from the runtime over diagnostic IPC
// and EventPipe, with no .NET SDK or tool on the monitoring side.
//
// A dump: find the target's diagnostic endpoint (its socket, or a runtime that advertised on leakwatch's
// DiagnosticPortListener), start an EventPipe session with Microsoft-Windows-DotNETRuntime at Verbose and the
// GCHeapSnapshot keywords (0x1980001, as dotnet-gcdump), which makes the runtime induce ONE full blocking GC and
// log every live object (GCBulkNode) and type (BulkType) during it; aggregate count and bytes per type as the
// events stream in; when the induced GC's GCEnd arrives, stop the session on a second connection and read the
// stream to its end. The session is always stopped, whatever happened; the target is never signalled.
//
// Cost to the target: one full blocking (gen 2, compacting) GC — a pause of roughly the time a full GC of its
// heap takes, plus the heap walk — and the session's EventPipe buffers. Measured (bench/dotnet/RESULTS.md): the
// runtime runs the induced GC and its heap walk before it even answers CollectTracing2, and streams nothing before
// that answer, so every GCBulkNode/GCBulkEdge event of the walk (≈ 32 bytes per object plus 12 per reference)
// waits in those buffers until the GC ends, and events beyond the buffer limit are dropped however fast leakwatch
// reads. So the limit is sized to the heap: what the last dump of the process
// streamed, plus growth, or for a first dump a bound from its RSS; within the cgroup's headroom; memoryCost counts
// all of it. Once the GC is over the stream is drained at socket speed into a private spool file (only the GC's
// start and end are followed on the way), so the target holds those buffers as briefly as possible; the objects are
// counted from the spool by a worker thread as it grows (spool.ts), never on the daemon's event loop.
// A dump that lost events is retried once with a buffer sized from what was lost, where the headroom allows it.
import { closeSync, openSync, writeSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { ParseError } from "../../model/parse-error.js";
import { DumpError, type DumpBody, type DumpContext, type HeapSource, type MemoryCostContext } from "../../model/dump.js";
import { ProcFs } from "../../procfs/process.js";
import { abortError } from "../../runtime-kit/abort.js";
import { createPrivateFile, rawFileName } from "../../runtime-kit/raw-files.js";
import { requireTarget, type TargetIdentity } from "../../runtime-kit/target.js";
import { typeResolver } from "./fields.js";
import { finishGraph, type GraphOutcome, staticFieldNamer } from "./graph.js";
import { HeapDumpAggregator, type HeapDumpLosses } from "./heapdump.js";
import { SpoolDecoder, workerAvailable } from "./spool.js";
import { GC_HEAP_SNAPSHOT_KEYWORDS, RUNTIME_PROVIDER, SAMPLE_PROFILER_PROVIDER } from "./protocol/events.js";
import { resolveEndpoint } from "./endpoint.js";
import { AssemblyCache, matchProcessModules } from "./module-files.js";
import { DiagnosticIpcError, type DiagnosticEndpoint, describeHresult, requestProcessInfo } from "./protocol/ipc.js";
import type { DiagnosticPortListener } from "./protocol/listener.js";
import type { NettraceStats } from "./protocol/nettrace.js";
import { EventPipeSession, type SessionEnd } from "./protocol/session.js";

export interface DotnetEventPipeSourceOptions {
  /** /proc (tests point it at a fixture tree). */
  proc?: ProcFs;
  /** Reverse mode: runtimes that advertise on this listener are reached through it first. */
  listener?: DiagnosticPortListener;
  /** Extra directories searched for dotnet-diagnostic-* sockets (a shared /tmp mounted elsewhere). */
  socketDirs?: readonly string[];
  /**
   * A fixed EventPipe buffer limit in the target (MiB; events beyond it are dropped). Default: sized to the heap
   * (sessionBufferMB), between MIN_BUFFER_MB and maxCircularBufferMB.
   */
  circularBufferMB?: number;
  /** The largest buffer a dump may ask for (default MAX_BUFFER_MB); the cgroup's headroom may allow less. */
  maxCircularBufferMB?: number;
  /** Retry once, with a buffer sized from what was lost, when a dump lost events (default true). */
  retry?: boolean;
  /** Count the objects in a worker thread as the stream arrives (default: where the compiled worker exists). */
  decodeInWorker?: boolean;
  /** Time for the induced GC to start once the session is on (default 15000 ms). */
  startTimeoutMs?: number;
  /**
   * Time for the heap dump session's CollectTracing2 answer (default 300000 ms; the dump's own timeout ends it
   * sooner): the runtime answers only after the induced GC and its heap walk, seconds on a big heap (measured:
   * 6.9 s for 20 M objects on a loaded machine), and streams nothing before.
   */
  collectTimeoutMs?: number;
  /** Time for the stream to end after StopTracing (default 10000 ms). */
  stopTimeoutMs?: number;
  /** Time to connect and for each IPC answer (default 5000 ms). */
  commandTimeoutMs?: number;
  /**
   * Start and stop a short sample-profiler session before each dump, as dotnet-gcdump does, so that the runtime
   * logs every type's name again (default true).
   */
  flushTypeTable?: boolean;
  /**
   * Hand the spooled nettrace stream to disposeRaw, which may keep it (--keep-dumps), rather than deleting it
   * (default true). The stream is always spooled to a private file in the dump's directory.
   */
  keepRaw?: boolean;
}

/** Smallest EventPipe buffer a dump asks for (MiB): a small heap's walk fits many times over. */
export const MIN_BUFFER_MB = 64;
/** Largest by default (MiB): enough for the walk of ≈ 80 M objects. */
export const MAX_BUFFER_MB = 4096;
/** Kept free in the cgroup beyond the buffer, for the GC itself and the guard's own margin. */
export const BUFFER_HEADROOM_MARGIN = 48 * 1024 * 1024;
/** Growth allowed for since the last dump of the process when its stream size sizes the next buffer. */
export const STREAM_GROWTH = 1.25;
/**
 * Stream bytes per byte of RSS assumed for a first dump: a walk logs ≈ 32 bytes per object and 12 per reference,
 * at most ≈ 1.8× the heap for the smallest objects with a reference each; measured 1.08× for a heap of 12 M small
 * objects (bench/dotnet). A first dump that needed more is retried with the size its losses show.
 */
export const RSS_STREAM_RATIO = 1.5;
const MiB = 1024 * 1024;

/** What an attempt at the heap snapshot came to. */
interface Attempt {
  agg: HeapDumpAggregator;
  stats: NettraceStats;
  decodedIn: "worker" | "main";
  /** The heap graph's parts when the caller asked (DumpContext.graph), or why there are none. */
  graph: GraphOutcome | undefined;
  end: SessionEnd;
  stopError: unknown;
  bufferMB: number;
  seconds: number;
}

export class DotnetEventPipeSource implements HeapSource {
  readonly name = "dotnet";
  private readonly proc: ProcFs;
  /** Processes (pid:startTime) whose last dump by this source succeeded: their logged-types table is clean. */
  private readonly clean = new Set<string>();
  /** Stream bytes of the last complete dump per process (pid:startTime): what the next one's buffer is sized from. */
  private readonly streamed = new Map<string, number>();
  /** The target's assembly files, parsed once, for the declaring types of nested types. */
  private readonly assemblies = new AssemblyCache();

  constructor(private readonly options: DotnetEventPipeSourceOptions = {}) {
    this.proc = options.proc ?? new ProcFs();
  }

  /**
   * The EventPipe buffer the dump will ask for (sessionBufferMB: the target's memory while its walk waits in it;
   * the type table flush before it uses a small one and ends first), or what dumps of this target measurably cost,
   * whichever is more.
   */
  async memoryCost(ctx: MemoryCostContext): Promise<number> {
    const id = await this.proc.identity(ctx.pid).catch(() => undefined);
    const mb = this.sessionBufferMB({ key: id ? `${id.pid}:${id.startTime}` : undefined, rss: ctx.rss, rising: ctx.rising, headroom: ctx.headroom });
    return Math.max(mb * MiB, ctx.learned ?? 0);
  }

  /**
   * The buffer limit for a dump (MiB): the fixed option; else what the last dump of the process streamed plus
   * growth, or RSS_STREAM_RATIO × its RSS for a first dump, plus its rise either way; at least MIN_BUFFER_MB, at
   * most maxCircularBufferMB and what the cgroup's headroom leaves (then possibly less than MIN_BUFFER_MB: the guard
   * skips a dump whose buffer does not fit, since a walk cut short costs the target a full GC for nothing).
   */
  sessionBufferMB(t: { key?: string; rss?: number; rising?: number; headroom?: number; atLeast?: number }): number {
    if (this.options.circularBufferMB !== undefined) return this.options.circularBufferMB;
    const rising = Math.max(0, t.rising ?? 0);
    const last = t.key !== undefined ? this.streamed.get(t.key) : undefined;
    let bytes = last !== undefined ? last * STREAM_GROWTH + rising * RSS_STREAM_RATIO : ((t.rss ?? 0) + rising) * RSS_STREAM_RATIO;
    bytes = Math.max(bytes, t.atLeast ?? 0);
    let mb = Math.min(Math.max(MIN_BUFFER_MB, Math.ceil(bytes / MiB)), this.options.maxCircularBufferMB ?? MAX_BUFFER_MB);
    if (t.headroom !== undefined) {
      const allowed = Math.floor((t.headroom - BUFFER_HEADROOM_MARGIN - rising) / MiB);
      // Below the minimum, the minimum is answered: the guard then skips the dump (it does not fit).
      mb = Math.min(mb, Math.max(allowed, Math.min(mb, MIN_BUFFER_MB)));
    }
    return mb;
  }

  /** The diagnostic endpoint of a process, or a DumpError saying why there is none. */
  endpoint(pid: number): Promise<DiagnosticEndpoint> {
    return resolveEndpoint(pid, { proc: this.proc, listener: this.options.listener, socketDirs: this.options.socketDirs });
  }

  async dump(ctx: DumpContext): Promise<DumpBody> {
    if (ctx.signal.aborted) throw abortError();
    const id = await requireTarget(this.proc, ctx.pid);
    const endpoint = await this.endpoint(ctx.pid);
    const notes: string[] = [];
    const commandTimeout = this.options.commandTimeoutMs ?? 5000;

    // The runtime version is a nice extra; a runtime that does not answer ProcessInfo can still dump.
    try {
      const info = await requestProcessInfo(endpoint, ctx.signal, commandTimeout);
      if (info.clrProductVersion) notes.push(`.NET runtime ${info.clrProductVersion}`);
    } catch (err) {
      if (ctx.signal.aborted) throw abortError();
      // A runtime that refuses ProcessInfo (HRESULT) can still dump; one that cannot be reached cannot.
      if (!(err instanceof DiagnosticIpcError && err.hresult !== undefined)) throw await this.ipcFailure(err, id, "ProcessInfo");
      notes.push(`.NET runtime version unknown (${err.message})`);
    }

    const key = `${id.pid}:${id.startTime}`;
    const rss = (await this.proc.memoryOrEmpty(ctx.pid).catch(() => ({ rss: undefined }))).rss;
    const target = { key, rss, rising: ctx.rising, headroom: ctx.headroom };
    let bufferMB = this.sessionBufferMB(target);
    const retry = (this.options.retry ?? true) && this.options.circularBufferMB === undefined;
    for (let attempt = 1; ; attempt++) {
      // Flush the runtime's table of types already logged, as dotnet-gcdump does: the runtime logs a type's BulkType
      // event only the first time it sees the type, and a heap walk that outlived its session (a dump aborted
      // mid-walk, here or by another tool) leaves types marked as logged, which the next dump would then see only
      // as Type(0x…). Done before the first dump of a process and after any dump of it that did not succeed (a
      // retry included: the walk that lost events marked its types logged); a completed dump leaves the table
      // clean (its session ends after the walk), so the next one can skip it.
      if ((this.options.flushTypeTable ?? true) && !this.clean.has(key)) await this.flushTypeTable(endpoint, ctx, id);
      this.clean.delete(key);
      const a = await this.attempt(ctx, id, endpoint, bufferMB);
      const losses = a.agg.losses();
      // What the walk needed: what arrived (the buffer was full, whatever arrived) plus the lost events at the
      // average size of those that did. The next dump of the process is sized from it too, should this one fail.
      const perEvent = a.stats.events > 0 ? a.stats.bytes / a.stats.events : 64 * 1024;
      const needed = losses.dropped > 0 ? Math.max(a.stats.bytes, bufferMB * MiB) + losses.dropped * perEvent : a.stats.bytes;
      this.remember(key, needed);
      if ((losses.dropped > 0 || !losses.nodesComplete) && retry && attempt === 1) {
        const next = this.sessionBufferMB({ ...target, atLeast: needed * STREAM_GROWTH });
        if (next > bufferMB) {
          notes.push(`${describeLosses(losses)} with a ${bufferMB} MiB EventPipe buffer; retried with ${next} MiB`);
          ctx.logger.warn({ pid: ctx.pid, bufferMB, next, losses }, "the .NET heap dump lost events; retrying once with a larger EventPipe buffer");
          bufferMB = next;
          continue;
        }
      }
      const body = await this.classify(ctx, id, a, notes);
      if (this.clean.size >= 4096) this.clean.clear();
      this.clean.add(key);
      return body;
    }
  }

  private remember(key: string, streamBytes: number): void {
    if (!this.streamed.has(key) && this.streamed.size >= 4096) this.streamed.clear();
    this.streamed.set(key, streamBytes);
  }

  /**
   * One heap snapshot session with a buffer of bufferMB: the stream spooled to a private file as fast as it comes
   * (followed only for the GC's start and end), then decoded from the file for the per-type counts.
   */
  private async attempt(ctx: DumpContext, id: TargetIdentity, endpoint: DiagnosticEndpoint, bufferMB: number): Promise<Attempt> {
    const spool = rawFileName(ctx.privateDir, ctx.pid, "nettrace");
    ctx.record?.file(spool);
    await createPrivateFile(spool);
    let fd: number | undefined = openSync(spool, "w", 0o600);
    let spoolError: Error | undefined;
    const counting = new SpoolDecoder(spool, this.options.decodeInWorker ?? workerAvailable(), ctx.graph === true);
    try {
      const follow = new HeapDumpAggregator({ countObjects: false });
      const { end, stopError, seconds } = await this.stream(ctx, id, endpoint, follow, bufferMB, (chunk) => {
        if (fd === undefined || spoolError !== undefined) return;
        try {
          writeSync(fd, chunk);
          counting.wrote(chunk.length);
        } catch (err) {
          spoolError = err as Error;
        }
      });
      closeSync(fd);
      fd = undefined;
      if (spoolError !== undefined) throw new DumpError("io_error", `writing ${spool}: ${spoolError.message}`);
      if (end.kind === "malformed") throw new DumpError("parse_error", `nettrace stream of process ${ctx.pid}: ${end.error.message}`);
      const { agg, stats, decodedIn, graph } = await counting.finish(ctx.signal);
      return { agg, stats, decodedIn, graph, end, stopError, bufferMB, seconds };
    } finally {
      counting.close();
      if (fd !== undefined) closeSync(fd);
      if (this.options.keepRaw ?? true) await ctx.disposeRaw(spool).catch(() => undefined);
      else await unlink(spool).catch(() => undefined);
    }
  }

  /** Turns a finished attempt into the summary, or the DumpError that says why it is not one. */
  private async classify(ctx: DumpContext, id: TargetIdentity, a: Attempt, notes: string[]): Promise<DumpBody> {
    const { agg, end, stats } = a;
    if (agg.state !== "complete") {
      if (!(await this.proc.stillAlive(id))) throw new DumpError("target_exited", `process ${ctx.pid} exited during the heap dump`);
      if (ctx.signal.aborted) throw abortError();
      throw new DumpError("incomplete", `the stream of process ${ctx.pid} ended before the induced GC did (${describeEnd(end)})`);
    }
    if (end.kind === "truncated") {
      if (!(await this.proc.stillAlive(id))) throw new DumpError("target_exited", `process ${ctx.pid} exited during the heap dump`);
      const why = a.stopError instanceof Error ? `; StopTracing: ${a.stopError.message}` : "";
      throw new DumpError("incomplete", `the nettrace stream of process ${ctx.pid} was cut before its end (${describeEnd(end)}${why})`);
    }
    if (agg.bulkNodeEvents === 0) throw new DumpError("incomplete", `the induced GC of process ${ctx.pid} logged no objects`);
    const losses = agg.losses();
    if (!losses.nodesComplete) {
      throw new DumpError(
        "incomplete",
        losses.dropped > 0
          ? `the runtime dropped events of the heap dump of process ${ctx.pid} (its EventPipe buffer of ${a.bufferMB} MiB filled up ` +
              `during the induced GC): ${describeLosses(losses)}${this.options.circularBufferMB === undefined ? "; the next dump asks for a buffer sized from what this one lost" : ""}`
          : `heap dump of process ${ctx.pid}: GCBulkNode events missing (${losses.nodeEvents} Index gap(s)) though the runtime reported no loss`,
      );
    }
    if (agg.unnamedObjects > 0) {
      throw new DumpError(
        "incomplete",
        `${agg.unnamedObjects} object(s) of process ${ctx.pid} have a type the runtime did not name (no BulkType event): ` +
          `their rows would not match other dumps`,
      );
    }
    if (losses.dropped > 0) notes.push(`every object counted, but ${describeLosses(losses)}: the references between objects are incomplete`);
    const gc = agg.gcSeconds;
    notes.push(
      `EventPipe GC heap snapshot: one induced full blocking GC${gc === undefined ? "" : ` (${(gc * 1000).toFixed(1)} ms in the target, heap walk included)`}; ${agg.objects} objects of ${agg.typeCount} types in ` +
        `${agg.bulkNodeEvents} GCBulkNode events (${agg.bulkEdgeEvents} GCBulkEdge), ${stats.bytes} stream bytes with a ${a.bufferMB} MiB buffer, ${a.seconds.toFixed(2)} s; counted ${a.decodedIn === "worker" ? "alongside the stream by a worker thread" : "after the stream"}`,
    );
    const withGraph = a.graph !== undefined && "parts" in a.graph;
    const match = await matchProcessModules(this.proc, ctx.pid, agg.typeDefs(), this.assemblies, withGraph);
    if (match.unmatched > 0) {
      notes.push(`${match.unmatched} module(s) matched no readable assembly file: their nested types (if any) are named without their declaring types`);
    }
    if (a.graph !== undefined && "error" in a.graph) notes.push(`no heap graph: ${a.graph.error}`);
    const parts = a.graph !== undefined && "parts" in a.graph ? a.graph.parts : undefined;
    if (parts !== undefined) {
      notes.push(
        `heap graph: ${parts.nodeCount} objects, ${parts.edgeTarget.length} references, ${parts.roots.length} roots; built in ${(parts.buildMs / 1000).toFixed(2)} s after decoding (addresses by ${parts.index})` +
          (parts.unresolved > 0 ? `; ${parts.unresolved} reference(s) to objects outside the walk left out` : ""),
      );
    }
    const body: DumpBody = agg.summary(notes, match.modules);
    if (parts !== undefined) body.graph = finishGraph(parts, agg.namer(match.modules), staticFieldNamer(match.assemblies), typeResolver(match.assemblies));
    return body;
  }

  /** Runs the heap snapshot session to its end, whatever happens; throws DumpError when it cannot start. */
  private async stream(
    ctx: DumpContext,
    id: TargetIdentity,
    endpoint: DiagnosticEndpoint,
    agg: HeapDumpAggregator,
    bufferMB: number,
    onRaw: (chunk: Buffer) => void,
  ): Promise<{ end: SessionEnd; stopError: unknown; seconds: number }> {
    let session: EventPipeSession;
    try {
      session = await EventPipeSession.start(endpoint, agg, {
        providers: [{ name: RUNTIME_PROVIDER, keywords: GC_HEAP_SNAPSHOT_KEYWORDS, level: 5 }],
        circularBufferMB: bufferMB,
        signal: ctx.signal,
        commandTimeoutMs: this.options.commandTimeoutMs,
        answerTimeoutMs: this.options.collectTimeoutMs ?? 300_000,
        onRaw,
      });
    } catch (err) {
      if (ctx.signal.aborted) throw abortError();
      throw await this.ipcFailure(err, id, "CollectTracing2");
    }
    const started = Date.now();
    let end: SessionEnd | undefined;
    let stopError: unknown;
    try {
      await this.waitForDump(ctx, session, agg);
    } finally {
      // Always stop the session, whatever happened (abort, target exit, malformed stream); only a stream that
      // reached its end tag is over in the runtime too.
      if (!session.isComplete) {
        try {
          await session.stop(this.options.commandTimeoutMs ?? 5000);
        } catch (err) {
          stopError = err;
        }
      }
      end = await session.waitEnd(this.options.stopTimeoutMs ?? 10_000);
    }
    return { end, stopError, seconds: (Date.now() - started) / 1000 };
  }

  /**
   * Starts and at once stops a session with the sample profiler provider: enabling and disabling a session makes
   * the runtime reset its table of types already logged (it needs no event from it: measured, a dump right after
   * one aborted mid-walk names every type; without the flush, its objects would all be Type(0x…)).
   */
  private async flushTypeTable(endpoint: DiagnosticEndpoint, ctx: DumpContext, id: TargetIdentity): Promise<void> {
    let session: EventPipeSession;
    try {
      session = await EventPipeSession.start(
        endpoint,
        {},
        {
          providers: [{ name: SAMPLE_PROFILER_PROVIDER, keywords: 0n, level: 4 }],
          circularBufferMB: 16,
          signal: ctx.signal,
          commandTimeoutMs: this.options.commandTimeoutMs,
        },
      );
    } catch (err) {
      if (ctx.signal.aborted) throw abortError();
      throw await this.ipcFailure(err, id, "CollectTracing2 (type table flush)");
    }
    try {
      if (!session.isComplete) await session.stop(this.options.commandTimeoutMs ?? 5000);
    } catch (err) {
      session.close();
      if (ctx.signal.aborted) throw abortError();
      throw await this.ipcFailure(err, id, "StopTracing (type table flush)");
    }
    // StopTracing answers once the session is disabled; what is left of its stream is not needed.
    session.close();
    if (ctx.signal.aborted) throw abortError();
  }

  /** Resolves when the induced GC is over; throws DumpError on abort, a start timeout, or a stream that ended early. */
  private waitForDump(ctx: DumpContext, session: EventPipeSession, agg: HeapDumpAggregator): Promise<void> {
    const startTimeout = this.options.startTimeoutMs ?? 15_000;
    return new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const cleanup = (): void => {
        clearInterval(tick);
        ctx.signal.removeEventListener("abort", onAbort);
        agg.onComplete = undefined;
      };
      const onAbort = (): void => {
        cleanup();
        reject(abortError());
      };
      agg.onComplete = () => {
        cleanup();
        resolve();
      };
      const tick = setInterval(() => {
        if (agg.state === "complete") {
          cleanup();
          resolve();
        } else if (session.isEnded) {
          // Classified by the caller from the session's end and the target's state.
          cleanup();
          resolve();
        } else if (agg.state === "waiting" && Date.now() - started > startTimeout) {
          cleanup();
          reject(new DumpError("timeout", `process ${ctx.pid} did not start the induced GC within ${startTimeout} ms (a suspended or hung runtime?)`));
        }
      }, 25);
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      if (ctx.signal.aborted) onAbort();
    });
  }

  /** A failed IPC exchange as a DumpError: gone, refused (with the HRESULT), or unreachable. */
  private async ipcFailure(err: unknown, id: TargetIdentity, command: string): Promise<DumpError> {
    if (err instanceof DumpError) return err;
    if (!(await this.proc.stillAlive(id))) return new DumpError("target_exited", `process ${id.pid} exited during ${command}`);
    if (err instanceof DiagnosticIpcError) {
      if (err.hresult !== undefined) {
        return new DumpError("not_supported", `the .NET runtime of process ${id.pid} refused ${command} (HRESULT ${describeHresult(err.hresult)})`);
      }
      if (err.code === "EACCES" || err.code === "EPERM") {
        return new DumpError("attach_failed", `${err.message} (leakwatch must run as the target's user or root)`);
      }
      return new DumpError("attach_failed", `cannot talk to the .NET runtime of process ${id.pid} (${command}): ${err.message}`);
    }
    if (err instanceof ParseError) return new DumpError("parse_error", err.message);
    const e = new DumpError("internal", `${command}: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof Error && err.stack) e.stack = `${e.stack ?? ""}\nCaused by: ${err.stack}`;
    return e;
  }
}

function describeEnd(end: SessionEnd): string {
  switch (end.kind) {
    case "complete":
      return "stream complete";
    case "truncated":
      return end.error ? `stream truncated: ${end.error.message}` : "stream truncated";
    case "malformed":
      return `malformed: ${end.error.message}`;
  }
}

/** Lost events by kind, for messages. */
function describeLosses(l: HeapDumpLosses): string {
  const parts = [
    ...(l.nodeEvents > 0 ? [`${l.nodeEvents} GCBulkNode event(s) (≈ ${l.objectsEstimate} objects)`] : []),
    ...(l.edgeEvents > 0 ? [`${l.edgeEvents} GCBulkEdge event(s) (references)`] : []),
    ...(l.otherEvents > 0 ? [`${l.otherEvents} other event(s)${l.nodesComplete ? "" : " (objects, references or types lost after the last ones seen)"}`] : []),
  ];
  return `${l.dropped} event(s) lost: ${parts.join(", ")}`;
}

/** The factory the daemon registers for `--heap-source dotnet`. */
export function createDotnetEventPipeSource(options: DotnetEventPipeSourceOptions = {}): DotnetEventPipeSource {
  return new DotnetEventPipeSource(options);
}
