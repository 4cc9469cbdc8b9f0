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
// heap takes, plus the heap walk — and EventPipe buffers (≤ circularBufferMB, in practice a few MiB, since the
// stream is read as fast as it is written). No copy of the heap is made, but the buffers are the target's memory and
// fill up whenever leakwatch reads slower than the runtime writes: memoryCost counts all of circularBufferMB.
import { closeSync, openSync, writeSync } from "node:fs";
import { ParseError } from "../../model/parse-error.js";
import type { DumpSummaryBody } from "../../model/summary.js";
import { DumpError, type DumpContext, type HeapSource, type MemoryCostContext } from "../../model/dump.js";
import { ProcFs } from "../../procfs/process.js";
import { abortError } from "../../runtime-kit/abort.js";
import { createPrivateFile, rawFileName } from "../../runtime-kit/raw-files.js";
import { requireTarget, type TargetIdentity } from "../../runtime-kit/target.js";
import { HeapDumpAggregator } from "./heapdump.js";
import { GC_HEAP_SNAPSHOT_KEYWORDS, RUNTIME_PROVIDER, SAMPLE_PROFILER_PROVIDER } from "./protocol/events.js";
import { resolveEndpoint } from "./endpoint.js";
import { AssemblyCache, matchProcessModules } from "./module-files.js";
import { DiagnosticIpcError, type DiagnosticEndpoint, describeHresult, requestProcessInfo } from "./protocol/ipc.js";
import type { DiagnosticPortListener } from "./protocol/listener.js";
import { EventPipeSession, type SessionEnd } from "./protocol/session.js";

export interface DotnetEventPipeSourceOptions {
  /** /proc (tests point it at a fixture tree). */
  proc?: ProcFs;
  /** Reverse mode: runtimes that advertise on this listener are reached through it first. */
  listener?: DiagnosticPortListener;
  /** Extra directories searched for dotnet-diagnostic-* sockets (a shared /tmp mounted elsewhere). */
  socketDirs?: readonly string[];
  /** EventPipe buffer limit in the target (default 256 MiB; events beyond it are dropped → "incomplete"). */
  circularBufferMB?: number;
  /** Time for the induced GC to start once the session is on (default 15000 ms). */
  startTimeoutMs?: number;
  /** Time for the stream to end after StopTracing (default 10000 ms). */
  stopTimeoutMs?: number;
  /** Time to connect and for each IPC answer (default 5000 ms). */
  commandTimeoutMs?: number;
  /**
   * Start and stop a short sample-profiler session before each dump, as dotnet-gcdump does, so that the runtime
   * logs every type's name again (default true).
   */
  flushTypeTable?: boolean;
  /** Write the raw nettrace stream to the private directory and hand it to disposeRaw (default true). */
  keepRaw?: boolean;
}

/** EventPipe buffer limit asked for a dump's session (events beyond it are dropped → "incomplete"). */
export const DEFAULT_CIRCULAR_BUFFER_MB = 256;

export class DotnetEventPipeSource implements HeapSource {
  readonly name = "dotnet";
  private readonly proc: ProcFs;
  /** Processes (pid:startTime) whose last dump by this source succeeded: their logged-types table is clean. */
  private readonly clean = new Set<string>();
  /** The target's assembly files, parsed once, for the declaring types of nested types. */
  private readonly assemblies = new AssemblyCache();

  constructor(private readonly options: DotnetEventPipeSourceOptions = {}) {
    this.proc = options.proc ?? new ProcFs();
  }

  /**
   * The EventPipe buffer the session may fill in the target (circularBufferMB; the type table flush before it uses a
   * smaller one and ends first), or what dumps of this target measurably cost, whichever is more.
   */
  async memoryCost(ctx: MemoryCostContext): Promise<number> {
    return Math.max(this.bufferMB() * 1024 * 1024, ctx.learned ?? 0);
  }

  private bufferMB(): number {
    return this.options.circularBufferMB ?? DEFAULT_CIRCULAR_BUFFER_MB;
  }

  /** The diagnostic endpoint of a process, or a DumpError saying why there is none. */
  endpoint(pid: number): Promise<DiagnosticEndpoint> {
    return resolveEndpoint(pid, { proc: this.proc, listener: this.options.listener, socketDirs: this.options.socketDirs });
  }

  async dump(ctx: DumpContext): Promise<DumpSummaryBody> {
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

    // Flush the runtime's table of types already logged, as dotnet-gcdump does: the runtime logs a type's BulkType
    // event only the first time it sees the type, and a heap walk that outlived its session (a dump aborted
    // mid-walk, here or by another tool) leaves types marked as logged, which the next dump would then see only as
    // Type(0x…). Done before the first dump of a process and after any dump of it that did not succeed; a
    // completed dump leaves the table clean (its session ends after the walk), so the next one can skip it.
    const key = `${id.pid}:${id.startTime}`;
    if ((this.options.flushTypeTable ?? true) && !this.clean.has(key)) await this.flushTypeTable(endpoint, ctx, id);
    this.clean.delete(key);

    const keepRaw = this.options.keepRaw ?? true;
    let rawFile: string | undefined;
    let fd: number | undefined;
    let rawError: Error | undefined;
    if (keepRaw) {
      rawFile = rawFileName(ctx.privateDir, ctx.pid, "nettrace");
      ctx.record?.file(rawFile);
      await createPrivateFile(rawFile);
      fd = openSync(rawFile, "w", 0o600);
    }
    try {
      const body = await this.collect(ctx, id, endpoint, notes, (chunk) => {
        if (fd === undefined || rawError !== undefined) return;
        try {
          writeSync(fd, chunk);
        } catch (err) {
          rawError = err as Error;
        }
      });
      if (rawError !== undefined) throw new DumpError("io_error", `writing ${rawFile}: ${rawError.message}`);
      if (this.clean.size >= 4096) this.clean.clear();
      this.clean.add(key);
      return body;
    } finally {
      if (fd !== undefined) closeSync(fd);
      if (rawFile !== undefined) await ctx.disposeRaw(rawFile).catch(() => undefined);
    }
  }

  private async collect(
    ctx: DumpContext,
    id: TargetIdentity,
    endpoint: DiagnosticEndpoint,
    notes: string[],
    onRaw: (chunk: Buffer) => void,
  ): Promise<DumpSummaryBody> {
    const agg = new HeapDumpAggregator();
    let session: EventPipeSession;
    try {
      session = await EventPipeSession.start(endpoint, agg, {
        providers: [{ name: RUNTIME_PROVIDER, keywords: GC_HEAP_SNAPSHOT_KEYWORDS, level: 5 }],
        circularBufferMB: this.bufferMB(),
        signal: ctx.signal,
        commandTimeoutMs: this.options.commandTimeoutMs,
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
    const seconds = ((Date.now() - started) / 1000).toFixed(2);

    if (end.kind === "malformed") throw new DumpError("parse_error", `nettrace stream of process ${ctx.pid}: ${end.error.message}`);
    if (agg.state !== "complete") {
      if (!(await this.proc.stillAlive(id))) throw new DumpError("target_exited", `process ${ctx.pid} exited during the heap dump`);
      if (ctx.signal.aborted) throw abortError();
      throw new DumpError("incomplete", `the stream of process ${ctx.pid} ended before the induced GC did (${describeEnd(end)})`);
    }
    if (end.kind === "truncated") {
      if (!(await this.proc.stillAlive(id))) throw new DumpError("target_exited", `process ${ctx.pid} exited during the heap dump`);
      const why = stopError instanceof Error ? `; StopTracing: ${stopError.message}` : "";
      throw new DumpError("incomplete", `the nettrace stream of process ${ctx.pid} was cut before its end (${describeEnd(end)}${why})`);
    }
    if (session.stats.droppedEvents > 0) {
      throw new DumpError(
        "incomplete",
        `the runtime dropped ${session.stats.droppedEvents} event(s) of the heap dump (its EventPipe buffers filled up); ` +
          `try a larger circularBufferMB or dump when the machine is less busy`,
      );
    }
    if (agg.problem !== undefined) throw new DumpError("incomplete", `heap dump of process ${ctx.pid}: ${agg.problem}`);
    if (agg.bulkNodeEvents === 0) throw new DumpError("incomplete", `the induced GC of process ${ctx.pid} logged no objects`);
    if (agg.unnamedObjects > 0) {
      throw new DumpError(
        "incomplete",
        `${agg.unnamedObjects} object(s) of process ${ctx.pid} have a type the runtime did not name (no BulkType event): ` +
          `their rows would not match other dumps`,
      );
    }
    const gc = agg.gcSeconds;
    notes.push(
      `EventPipe GC heap snapshot: one induced full blocking GC${gc === undefined ? "" : ` (${(gc * 1000).toFixed(1)} ms in the target, heap walk included)`}; ${agg.objects} objects of ${agg.typeCount} types in ` +
        `${agg.bulkNodeEvents} GCBulkNode events, ${session.stats.bytes} stream bytes, ${seconds} s`,
    );
    const match = await matchProcessModules(this.proc, ctx.pid, agg.typeDefs(), this.assemblies);
    if (match.unmatched > 0) {
      notes.push(`${match.unmatched} module(s) matched no readable assembly file: their nested types (if any) are named without their declaring types`);
    }
    return agg.summary(notes, match.modules);
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
      return new DumpError("attach_failed", `cannot talk to the .NET runtime of process ${id.pid}: ${err.message}`);
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

/** The factory the daemon registers for `--heap-source dotnet`. */
export function createDotnetEventPipeSource(options: DotnetEventPipeSourceOptions = {}): DotnetEventPipeSource {
  return new DotnetEventPipeSource(options);
}
