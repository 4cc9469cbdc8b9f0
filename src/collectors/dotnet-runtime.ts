// .NET runtime memory metrics from the System.Runtime EventCounters, kept up to date by one background
// counters session per .NET target (src/runtimes/dotnet/counters.ts). collect() only reads the latest values:
// sessions are started, restarted (target restarts) and stopped by a background reconcile loop, never on the
// scrape path. Counters (_total) count from when leakwatch's session started; a new session (target restart,
// leakwatch restart) starts them at 0 again, which Prometheus treats as a counter reset.
import type { Logger } from "pino";
import { ProcFs } from "../procfs/process.js";
import { DotnetCountersSession, type CounterReading, type CountersSessionOptions } from "../runtimes/dotnet/counters.js";
import type { DiagnosticPortListener } from "../runtimes/dotnet/protocol/listener.js";
import { detectRuntime } from "../runtimes/index.js";
import type { Target } from "../targets/target.js";
import { type Collector, type CollectorDefinition, type Emitter, counter, gauge } from "./collector.js";

const UP = gauge("leakwatch_dotnet_counters_up", "1 when leakwatch's counters session with the target's .NET runtime is delivering values, else 0.", [
  "target",
]);
const HEAP = gauge("leakwatch_dotnet_gc_heap_size_bytes", "Bytes in the GC heap (System.Runtime gc-heap-size: GC.GetTotalMemory).", ["target"]);
const GEN = gauge(
  "leakwatch_dotnet_gc_generation_size_bytes",
  "Bytes in a GC generation after the last GC: generation 0, 1, 2, loh (large objects), poh (pinned objects).",
  ["target", "generation"],
);
const COMMITTED = gauge("leakwatch_dotnet_gc_committed_bytes", "Bytes of memory the GC has committed (System.Runtime gc-committed).", ["target"]);
const FRAGMENTATION = gauge("leakwatch_dotnet_gc_fragmentation_ratio", "Fragmentation of the GC heap, 0..1 (System.Runtime gc-fragmentation).", ["target"]);
const PAUSE_RATIO = gauge("leakwatch_dotnet_gc_pause_ratio", "Share of time spent in GC since the previous GC, 0..1 (System.Runtime time-in-gc).", ["target"]);
const WORKING_SET = gauge("leakwatch_dotnet_working_set_bytes", "Working set of the process as the runtime reports it (System.Runtime working-set).", [
  "target",
]);
const COLLECTIONS = counter("leakwatch_dotnet_gc_collections_total", "GCs of a generation (0, 1, 2) counted since leakwatch's counters session started.", [
  "target",
  "generation",
]);
const ALLOCATED = counter(
  "leakwatch_dotnet_allocated_bytes_total",
  "Bytes allocated on the GC heap since leakwatch's counters session started (sum of alloc-rate).",
  ["target"],
);
const PAUSE = counter(
  "leakwatch_dotnet_gc_pause_seconds_total",
  "Time the runtime was paused by GC since leakwatch's counters session started (total-pause-time-by-gc).",
  ["target"],
);
const EXCEPTIONS = counter("leakwatch_dotnet_exceptions_total", "Exceptions thrown since leakwatch's counters session started (exception-count).", ["target"]);

/** .NET targets get a background counters session; the collector only reads its latest values. */
export const dotnetRuntimeCollector: CollectorDefinition<{
  targets: () => Target[];
  runtime: (target: string) => string;
  logger: Logger;
  dotnetListener?: DiagnosticPortListener;
}> = {
  name: "dotnet",
  help: ".NET runtime memory from the System.Runtime EventCounters, via a background counters session per .NET target.",
  metrics: [UP, HEAP, GEN, COMMITTED, FRAGMENTATION, PAUSE_RATIO, WORKING_SET, COLLECTIONS, ALLOCATED, PAUSE, EXCEPTIONS],
  create: (deps) =>
    createDotnetRuntimeCollector({
      targets: () => deps.targets().map((t) => ({ name: t.name, pid: t.main?.pid, runtime: deps.runtime(t.name) })),
      logger: deps.logger.child({ collector: "dotnet" }),
      listener: deps.dotnetListener,
    }),
};

/** A target as the collector needs it; `pid` undefined while the target is down. */
export interface DotnetRuntimeTarget {
  name: string;
  pid: number | undefined;
  /** The detected runtime when known ("dotnet", "jvm", …, or "unknown"). Non-.NET targets are skipped. */
  runtime?: string;
}

export interface DotnetRuntimeCollectorOptions {
  targets: () => Iterable<DotnetRuntimeTarget>;
  /** EventCounterIntervalSec for the sessions (default 5). */
  intervalSec?: number;
  /** How often targets are reconciled with sessions (default 5000 ms). */
  reconcileMs?: number;
  /** After a failed start, wait this long before trying the same pid again (default 30000 ms). */
  retryMs?: number;
  logger?: Logger;
  proc?: ProcFs;
  /** Reverse mode: runtimes that advertise on this listener are reached through it. */
  listener?: DiagnosticPortListener;
  socketDirs?: readonly string[];
}

interface Watch {
  session: DotnetCountersSession;
  pid: number;
  starting: Promise<void> | undefined;
  failedAt: number | undefined;
}

export class DotnetRuntimeCollector implements Collector {
  readonly name = dotnetRuntimeCollector.name;
  readonly metrics = dotnetRuntimeCollector.metrics;
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  private closed = false;
  /** Targets found not to be .NET, by name → pid (so /proc/PID/maps is read once per process). */
  private readonly notDotnet = new Map<string, number>();

  constructor(private readonly opts: DotnetRuntimeCollectorOptions) {}

  /** Starts the background loop (reconciles at once, then every reconcileMs). */
  start(): void {
    if (this.timer !== undefined || this.closed) return;
    void this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.opts.reconcileMs ?? 5000);
    this.timer.unref();
  }

  /** Stops the loop and every session (StopTracing for each). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.reconciling?.catch(() => undefined);
    await Promise.all(
      [...this.watches.values()].map(async (w) => {
        await w.starting?.catch(() => undefined);
        await w.session.stop();
      }),
    );
    this.watches.clear();
  }

  /** Brings sessions in line with the targets: start for new .NET pids, restart ended ones, stop for gone ones. */
  reconcile(): Promise<void> {
    this.reconciling ??= this.doReconcile().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  private async doReconcile(): Promise<void> {
    const seen = new Set<string>();
    for (const t of this.opts.targets()) {
      if (this.closed) return;
      seen.add(t.name);
      const w = this.watches.get(t.name);
      if (t.pid === undefined || (t.runtime !== undefined && t.runtime !== "dotnet" && t.runtime !== "unknown")) {
        if (w) await this.drop(t.name, w);
        continue;
      }
      if (w && w.pid !== t.pid) await this.drop(t.name, w);
      const cur = this.watches.get(t.name);
      if (cur === undefined) {
        if (t.runtime !== "dotnet") {
          if (this.notDotnet.get(t.name) === t.pid) continue;
          if ((await detectRuntime(this.opts.proc ?? new ProcFs(), t.pid)) !== "dotnet") {
            this.notDotnet.set(t.name, t.pid);
            continue;
          }
        }
        this.begin(t.name, t.pid);
      } else if (!cur.session.running && cur.starting === undefined) {
        const retry = this.opts.retryMs ?? 30_000;
        if (cur.failedAt === undefined || Date.now() - cur.failedAt >= retry) this.begin(t.name, t.pid, cur);
      }
    }
    for (const [name, w] of this.watches) if (!seen.has(name)) await this.drop(name, w);
    for (const name of this.notDotnet.keys()) if (!seen.has(name)) this.notDotnet.delete(name);
  }

  private begin(name: string, pid: number, existing?: Watch): void {
    const sessionOpts: CountersSessionOptions = {
      intervalSec: this.opts.intervalSec,
      logger: this.opts.logger,
      proc: this.opts.proc,
      listener: this.opts.listener,
      socketDirs: this.opts.socketDirs,
    };
    const w: Watch = existing ?? { session: new DotnetCountersSession(sessionOpts), pid, starting: undefined, failedAt: undefined };
    this.watches.set(name, w);
    w.starting = w.session
      .start(pid)
      .then(() => {
        w.failedAt = undefined;
        this.opts.logger?.info({ target: name, pid }, "dotnet counters session started");
      })
      .catch((err: unknown) => {
        w.failedAt = Date.now();
        w.session.lastError = (err as Error).message;
        this.opts.logger?.warn({ target: name, pid, err: (err as Error).message }, "dotnet counters session could not start");
      })
      .finally(() => (w.starting = undefined));
  }

  private async drop(name: string, w: Watch): Promise<void> {
    this.watches.delete(name);
    await w.starting?.catch(() => undefined);
    await w.session.stop();
  }

  /** The sessions by target name (tests and status pages). */
  sessions(): ReadonlyMap<string, DotnetCountersSession> {
    return new Map([...this.watches].map(([k, w]) => [k, w.session]));
  }

  async collect(out: Emitter): Promise<void> {
    const now = Date.now();
    for (const [target, w] of this.watches) {
      const s = w.session;
      const last = s.lastUpdate;
      // Fresh: values arrived within three intervals (plus slack for a busy target).
      const fresh = s.running && last !== undefined && now - last <= (3 * s.intervalSec + 5) * 1000;
      out.emit(UP, { target }, fresh ? 1 : 0);
      if (!fresh) continue;
      const r = s.latest();
      const v = (name: string): number | undefined => r.get(name)?.value;
      const total = (name: string): number | undefined => total0(r.get(name));
      out.emit(HEAP, { target }, v("gc-heap-size"));
      for (const [gen, name] of [
        ["0", "gen-0-size"],
        ["1", "gen-1-size"],
        ["2", "gen-2-size"],
        ["loh", "loh-size"],
        ["poh", "poh-size"],
      ] as const) {
        out.emit(GEN, { target, generation: gen }, v(name));
      }
      out.emit(COMMITTED, { target }, v("gc-committed"));
      out.emit(FRAGMENTATION, { target }, v("gc-fragmentation"));
      out.emit(PAUSE_RATIO, { target }, v("time-in-gc"));
      out.emit(WORKING_SET, { target }, v("working-set"));
      for (const gen of ["0", "1", "2"]) out.emit(COLLECTIONS, { target, generation: gen }, total(`gen-${gen}-gc-count`));
      out.emit(ALLOCATED, { target }, total("alloc-rate"));
      out.emit(PAUSE, { target }, total("total-pause-time-by-gc"));
      out.emit(EXCEPTIONS, { target }, total("exception-count"));
    }
  }
}

function total0(r: CounterReading | undefined): number | undefined {
  return r === undefined ? undefined : r.kind === "sum" ? r.total : undefined;
}

/**
 * The factory the daemon registers: builds the collector and starts its background loop. Call close() on
 * shutdown to stop the sessions.
 */
export function createDotnetRuntimeCollector(opts: DotnetRuntimeCollectorOptions): DotnetRuntimeCollector {
  const c = new DotnetRuntimeCollector(opts);
  c.start();
  return c;
}
