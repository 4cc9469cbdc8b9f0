// One target's heap state. After each dump outcome it updates the counts and, for a success, adds the dump to
// its verdict window, recomputes the verdicts and the sticky set of exported types (src/analysis), and publishes one
// immutable HeapView, then emits a "dump" event with the outcome and that view. Readers (metrics, API, UI, report)
// only ever see whole views: a view never changes once published, so a scrape or a report reads one consistent state.
// Memory: the rows of the dumps stay on disk (store.ts); what is kept here is the verdict window in columns
// (analysis/window.ts), the verdicts computed once per dump, and the exported types' latest rows. The verdicts of a
// target with 100 k types take seconds of CPU: they are computed in slices (util/slices.ts) between which the event
// loop serves scrapes and API calls.
// The dump itself is the runner's (runner.ts); when dumps happen is the scheduler's.
import type { Logger } from "pino";
import type { Target } from "../targets/target.js";
import {
  resolveVerdictOptions,
  TypeSelector,
  TypeWindow,
  VerdictTable,
  type TypeSelection,
  type TypeStats,
  type TypeVerdict,
  type VerdictOptions,
  type VerdictState,
  type WindowDump,
} from "../analysis/index.js";
import type { HeapSource } from "../model/dump.js";
import type { HeapGraph } from "../model/heap-graph.js";
import { type DumpHeader, type DumpSummary, dumpHeader, type TypeRow } from "../model/summary.js";
import { nextTurn, runInSlices } from "../util/slices.js";
import type { DumpStore } from "./store.js";
import type { PeakWatch } from "../sampling/peak.js";
import { DumpCosts } from "./cost.js";
import { rawDumpDisposer } from "./raw-dumps.js";
import { type RetentionOptions, type RetentionView, TargetRetention } from "./retention.js";
import { TREND_HORIZON_SECONDS, runDump, skippedRun, type DumpOutcome, type DumpResult, type DumpRun, type RunnerOptions } from "./runner.js";

/** result → reason ("" for success) → count, in first-seen order: leakwatch_heap_dumps_total. */
export type DumpCounts = Readonly<Partial<Record<DumpResult, Readonly<Record<string, number>>>>>;

export type HeapSelection = Readonly<{
  tracked: readonly string[];
  other: Readonly<TypeSelection["other"]>;
  added: readonly string[];
  dropped: readonly string[];
}>;

/** Everything known about one target's heap at one moment. Frozen, with its lists and counts. */
export interface HeapView {
  readonly target: string;
  /** The heap source's name. */
  readonly source: string;
  /** The runtime recognised for the target when its source was chosen. */
  readonly runtime: string;
  /** The header of the latest stored dump that the verdicts include (its rows are on disk: DumpStore.read). */
  readonly latest: DumpHeader | undefined;
  /**
   * Every type's verdict over the verdict window, suspects first (leakVerdicts' order), as numbers: verdict objects
   * are made when asked for (the API serves it a page at a time).
   */
  readonly verdictTable: VerdictTable;
  /**
   * Every verdict as an object, made on first use and kept with the table: ~500 bytes a type, so for tests and
   * small targets; the daemon's own readers use verdictTable, suspects, trackedVerdicts and verdictOf.
   */
  readonly verdicts: readonly Readonly<TypeVerdict>[];
  /** The suspects among the verdicts (state leaking), in the same order. */
  readonly suspects: readonly Readonly<TypeVerdict>[];
  /** How many types are in each verdict state. */
  readonly stateCounts: Readonly<Record<VerdictState, number>>;
  /** Whether the latest verdicts were given in the warm-up (none then: every type stable). */
  readonly warmup: boolean;
  /** The types exported as their own series; undefined before the first dump. */
  readonly selection: HeapSelection | undefined;
  /** The exported types' rows in the latest dump, in the selection's order (0 objects for a type absent from it). */
  readonly trackedRows: readonly Readonly<TypeRow>[];
  /** The exported types' verdicts, in the verdicts' order. */
  readonly trackedVerdicts: readonly Readonly<TypeVerdict>[];
  /** The latest dump's types by bytes, largest first (the dump's own order among equals). */
  readonly byBytes: readonly string[];
  /** One type's verdict, a new object (an index of the types is built on first use). */
  readonly verdictOf: (type: string) => Readonly<TypeVerdict> | undefined;
  readonly counts: DumpCounts;
  /** How long the last dump took, successful or not. */
  readonly lastDurationSeconds: number | undefined;
  /** How far the target's memory rose during the last dump that ran (bytes), when it was measured. */
  readonly lastDumpCostBytes: number | undefined;
  /** When the last successful dump finished, since the Unix epoch. */
  readonly lastSuccessSeconds: number | undefined;
  readonly lastOutcome: Readonly<DumpOutcome> | undefined;
  /** What keeps the growing types alive (leaks grouped by owner), from the latest dump that came with its graph. */
  readonly retention: RetentionView | undefined;
  /** Retention analyses by result: leakwatch_retention_analyses_total. */
  readonly retentionRuns: Readonly<{ success: number; failure: number }>;
}

/**
 * The verdict window's per-type values as of now, for the UI's series. It moves on with each dump, possibly a
 * little before the view that carries that dump's verdicts is published.
 */
export interface HeapSeries {
  /** The window's dumps, oldest first. */
  readonly dumps: readonly WindowDump[];
  /** A type's count and bytes in the i-th of those dumps; undefined when that dump does not have it. */
  stats(type: string, i: number): TypeStats | undefined;
  /** Every row of the i-th of those dumps (a copy). */
  rows(i: number): Map<string, TypeStats>;
}

export interface DumpEvent {
  readonly target: string;
  readonly outcome: Readonly<DumpOutcome>;
  /** The view published after this outcome. */
  readonly view: HeapView;
}

export type DumpListener = (e: DumpEvent) => void;

export interface HeapStateOptions {
  timeoutSeconds: number;
  /** Longest the analysis runs before the event loop gets a turn (default 10 ms). */
  sliceMs?: number;
  keepDumps: number;
  maxTypes: number;
  verdict: VerdictOptions;
  /** Private directory for this target's raw dumps (created 0700). */
  rawDir: string;
  /** Records each dump's raw files so that none outlives leakwatch (runner.ts). */
  ledger?: RunnerOptions["ledger"];
  /** Retention analysis (--retention-analysis); absent: never. */
  retention?: Omit<RetentionOptions, "window" | "verdict">;
}

/** What a trigger knows when it asks for a dump. */
export interface DumpRequest {
  /** The cgroup's headroom, for the headroom guard. */
  headroom?: number;
  rss?: number;
  /** Cumulative load requests as of now (the dump's start), when load is known. */
  requests?: number;
  /** Starts measuring the target's memory for the dump (the memory sampler's watchPeak): what the dump costs it. */
  watchPeak?: () => Promise<PeakWatch | undefined>;
  /** How fast the target's memory rose lately (bytes/s, the sampler's trend); null when not watched long enough to say. */
  trend?: number | null;
}

/** The memory a target rising at `trend` bytes/s gains before its dump begins; undefined without a trend. */
function risingBy(trend: number | null | undefined): number | undefined {
  return trend === null || trend === undefined ? undefined : Math.round(Math.max(0, trend) * TREND_HORIZON_SECONDS);
}

function bump(counts: DumpCounts, result: DumpResult, reason: string): DumpCounts {
  const reasons = counts[result] ?? {};
  return Object.freeze({ ...counts, [result]: Object.freeze({ ...reasons, [reason]: (reasons[reason] ?? 0) + 1 }) });
}

function freezeSelection(s: TypeSelection): HeapSelection {
  return Object.freeze({
    tracked: Object.freeze(s.tracked),
    other: Object.freeze(s.other),
    added: Object.freeze(s.added),
    dropped: Object.freeze(s.dropped),
  });
}

type Analysis = Pick<
  HeapView,
  "latest" | "verdictTable" | "suspects" | "stateCounts" | "warmup" | "selection" | "trackedRows" | "trackedVerdicts" | "byBytes" | "verdictOf"
> &
  Partial<Pick<HeapView, "retention" | "retentionRuns">>;

/** A view without its lazily made `verdicts`: what is copied from one view to the next. */
type ViewParts = Omit<HeapView, "verdicts">;

/** The published view: its parts, frozen, and `verdicts` made from the table when first read. */
function makeView(parts: ViewParts): HeapView {
  return Object.freeze({
    ...parts,
    get verdicts() {
      return parts.verdictTable.all();
    },
  });
}

const EMPTY: readonly never[] = Object.freeze([]);
const NO_STATES: Readonly<Record<VerdictState, number>> = Object.freeze({ stable: 0, rising: 0, leaking: 0, settling: 0 });

/** The latest dump's types by bytes, largest first; a stable sort keeps the dump's own order among equals. */
function typesByBytes(rows: readonly TypeRow[]): readonly string[] {
  return Object.freeze(
    rows
      .map((r, i) => ({ r, i }))
      .sort((a, b) => b.r.bytes - a.r.bytes || a.i - b.i)
      .map((x) => x.r.type),
  );
}

function verdictLookup(table: VerdictTable): (type: string) => Readonly<TypeVerdict> | undefined {
  return (type) => {
    const v = table.at(table.indexOf(type));
    return v && Object.freeze(v);
  };
}

export class HeapState {
  private parts: ViewParts;
  private current: HeapView;
  private running: Promise<DumpOutcome> | undefined;
  private readonly stopper = new AbortController();
  /** What this target's dumps have cost it, measured: the headroom guard's estimate once there is one. */
  private readonly costs = new DumpCosts();
  private readonly selector: TypeSelector;
  private readonly listeners = new Set<DumpListener>();
  private readonly disposeRaw: (file: string) => Promise<void>;
  private readonly window: TypeWindow;
  /** Every change of the window and its analysis, one after the other. */
  private work: Promise<unknown>;
  private readonly replayed: Promise<void>;
  private complete = false;
  /** The latest dump's types by bytes, as of the window's newest dump. */
  private byBytes: readonly string[] = EMPTY;
  private readonly retention: TargetRetention | undefined;

  constructor(
    readonly target: Target,
    readonly source: HeapSource,
    runtime: string,
    private readonly store: DumpStore,
    private readonly opts: HeapStateOptions,
    private readonly log: Logger,
  ) {
    this.selector = new TypeSelector(opts.maxTypes);
    this.disposeRaw = rawDumpDisposer(opts.rawDir, opts.keepDumps);
    this.window = new TypeWindow(Math.min(opts.verdict.window ?? 12, store.retention));
    this.parts = Object.freeze({
      target: target.name,
      source: source.name,
      runtime,
      counts: Object.freeze({}),
      lastDurationSeconds: undefined,
      lastDumpCostBytes: undefined,
      lastSuccessSeconds: undefined,
      lastOutcome: undefined,
      // The totals of the latest kept dump are known at once; its per-type analysis once replay() is done.
      latest: store.list(target.name).at(-1),
      verdictTable: VerdictTable.empty(resolveVerdictOptions(opts.verdict)),
      suspects: EMPTY,
      stateCounts: NO_STATES,
      warmup: false,
      selection: undefined,
      trackedRows: EMPTY,
      trackedVerdicts: EMPTY,
      byBytes: EMPTY,
      verdictOf: () => undefined,
      retention: undefined,
      retentionRuns: Object.freeze({ success: 0, failure: 0 }),
    });
    this.current = makeView(this.parts);
    this.retention =
      opts.retention === undefined || opts.retention.mode === "never"
        ? undefined
        : new TargetRetention(target.name, { ...opts.retention, window: this.window.capacity, verdict: opts.verdict }, log);
    // The history kept from an earlier run: read back into the window and analysed before the first dump of this
    // one is (ready() says when).
    this.replayed = this.replay();
    this.work = this.replayed.catch(() => undefined);
  }

  /** The latest published view. */
  get view(): HeapView {
    return this.current;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves once the history kept from an earlier run is in the view (at once when there was none). */
  ready(): Promise<void> {
    return this.replayed;
  }

  /**
   * Resolves once the analysis of every dump stored so far is published (a dump still running is not waited for:
   * its summary is queued for analysis in the same turn as it is stored).
   */
  async settled(): Promise<void> {
    await this.work;
  }

  /** Resolves once no dump is running and the analysis of every stored dump is published. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.settled();
  }

  /** The verdict window's values; undefined until the kept history has been read back into it. */
  get series(): HeapSeries | undefined {
    if (!this.complete) return undefined;
    const w = this.window;
    return { dumps: w.dumps, stats: (type, i) => w.stats(type, i), rows: (i) => w.rowsOf(i) };
  }

  /** Calls fn after every outcome (success, failure or skip), once the new view is published. Returns an unsubscribe. */
  on(_event: "dump", fn: DumpListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Takes one dump now, unless one is running (then it is counted as skipped with reason busy). */
  dump(trigger: string, req: DumpRequest = {}): Promise<DumpOutcome> {
    if (this.stopper.signal.aborted)
      return Promise.resolve(this.publish(skippedRun(this.log, this.target.name, "target_down", "leakwatch is stopping"), undefined));
    if (this.running) return Promise.resolve(this.publish(skippedRun(this.log, this.target.name, "busy", "a dump of this target is still running"), undefined));
    this.running = this.take(trigger, req).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async take(trigger: string, { headroom, rss, requests, watchPeak, trend }: DumpRequest): Promise<DumpOutcome> {
    const t = this.target;
    const pid = t.main?.pid;
    if (pid === undefined) return this.publish(skippedRun(this.log, t.name, "target_down", "no process behind the target"), undefined);
    const last = headroom === undefined ? undefined : [...this.store.list(t.name)].reverse().find((d) => d.source === this.source.name);
    // Measured from before the guard decides, so that the estimate and the measure start from the same memory.
    const watch = await watchPeak?.().catch(() => undefined);
    const rising = risingBy(trend);
    const learned = headroom === undefined ? undefined : this.costs.estimate(watch?.anonBefore === undefined ? undefined : watch.anonBefore + (rising ?? 0));
    const run = await runDump(
      this.source,
      {
        target: t.name,
        pid,
        command: t.command,
        trigger,
        requests,
        headroom,
        rss,
        lastObjects: last?.totalObjects,
        learned,
        rising: trend === null ? null : rising,
        watch,
        pidNow: () => t.main?.pid,
        graph: this.retention !== undefined && (trigger === "retention" || this.retention.wantGraph(this.current.suspects.length)),
      },
      {
        timeoutSeconds: this.opts.timeoutSeconds,
        rawDir: this.opts.rawDir,
        disposeRaw: this.disposeRaw,
        keep: async (summary) => void (await this.store.add(summary)),
        ledger: this.opts.ledger,
        stop: this.stopper.signal,
        logger: this.log,
      },
    );
    if (run.peak) this.costs.record(run.peak, run.outcome.summary);
    const summary = run.outcome.summary;
    // A success is published with the verdicts that include it.
    const graph = run.graph;
    run.graph = undefined;
    // The retention analysis follows the verdicts it reads in the same queued step, so that settled() covers it.
    const analysis = summary
      ? await this.queue(async (): Promise<Analysis> => {
          const verdicts = await this.absorb(summary);
          return graph ? { ...verdicts, ...(await this.retain(graph, summary, verdicts)) } : verdicts;
        }).catch((err: unknown) => {
          this.log.error({ target: t.name, err }, "analysing the heap dump failed (bug); the verdicts stay as they were");
          return undefined;
        })
      : undefined;
    return this.publish(run, analysis);
  }

  /** The retention analysis of one dump's graph, with the verdicts that include the dump; a failure is logged and counted. */
  private async retain(graph: HeapGraph, summary: DumpSummary, analysis: Analysis): Promise<Pick<HeapView, "retention" | "retentionRuns">> {
    const r = this.retention!;
    const runs = this.parts.retentionRuns;
    const table = analysis.verdictTable;
    try {
      const view = await r.analyse(
        graph,
        { id: summary.id, time: summary.time, ...(summary.requests !== undefined ? { requests: summary.requests } : {}) },
        { suspects: new Set(analysis.suspects.map((v) => v.type)), candidates: new Set(table.countRisers()), table },
        this.stopper.signal,
      );
      this.log.info({ target: this.target.name, leaks: view.leaks.map((l) => l.root), seconds: view.durationSeconds, nodes: view.nodes }, "retention analysed");
      return { retention: view, retentionRuns: Object.freeze({ ...runs, success: runs.success + 1 }) };
    } catch (err) {
      this.log.warn({ target: this.target.name, err: (err as Error).message }, "retention analysis failed; the leaks stay as they were");
      return { retention: this.parts.retention, retentionRuns: Object.freeze({ ...runs, failure: runs.failure + 1 }) };
    }
  }

  /** Ends a dump in flight (its raw files are removed) and refuses new ones; resolves once the dump has ended (and undone what it did in the target). */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running?.catch(() => undefined);
  }

  /** Applies one outcome: a new view replaces the current one, then listeners hear of it. */
  private publish({ outcome: full, durationSeconds, peak }: DumpRun, analysis: Analysis | undefined): DumpOutcome {
    const prev = this.parts;
    const success = full.result === "success";
    const { summary, ...rest } = full;
    // The stored header (the object the store and the view's `latest` share), never the rows.
    const header = summary && (this.store.get(summary.target, summary.id) ?? dumpHeader(summary));
    const outcome: DumpOutcome = Object.freeze(header ? { ...rest, summary: header } : rest);
    this.parts = Object.freeze({
      ...prev,
      ...(analysis ?? {}),
      counts: bump(prev.counts, outcome.result, outcome.reason ?? ""),
      lastDurationSeconds: durationSeconds ?? prev.lastDurationSeconds,
      lastDumpCostBytes: peak?.growth ?? prev.lastDumpCostBytes,
      lastSuccessSeconds: success ? Date.now() / 1000 : prev.lastSuccessSeconds,
      lastOutcome: outcome,
    });
    const next = makeView(this.parts);
    this.current = next;
    const event: DumpEvent = Object.freeze({ target: next.target, outcome, view: next });
    for (const fn of this.listeners) fn(event);
    return outcome;
  }

  private queue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.work.then(fn);
    this.work = next.catch(() => undefined);
    return next;
  }

  /** Reads every kept dump of the target back into the window, oldest first, then publishes their analysis. */
  private async replay(): Promise<void> {
    const name = this.target.name;
    const headers = [...this.store.list(name)];
    if (headers.length === 0) {
      this.complete = true;
      return;
    }
    const newest = headers.at(-1)!;
    // All of them, not only the window's: a type seen in a kept dump before the window is in the whole window.
    for (const h of headers) {
      let s: DumpSummary | undefined;
      try {
        s = await this.store.read(name, h.id);
      } catch (err) {
        this.log.warn({ target: name, id: h.id, err: String(err).split("\n")[0] }, "cannot read a stored dump summary back; the verdicts go without it");
      }
      if (!s) continue;
      await runInSlices(this.window.pushInSteps(windowDump(h), s.types), this.opts.sliceMs ?? 10);
      if (h === newest) this.byBytes = typesByBytes(s.types);
      await nextTurn();
    }
    this.forgetDropped();
    this.complete = true;
    const analysis = await this.analyse();
    const retention = await this.retention?.restored(analysis.verdictTable).catch(() => undefined);
    this.parts = Object.freeze({ ...this.parts, ...analysis, retention });
    this.current = makeView(this.parts);
  }

  /** A new dump: into the window, then analysed. */
  private async absorb(summary: DumpSummary): Promise<Analysis> {
    const header = this.store.get(summary.target, summary.id) ?? dumpHeader(summary);
    await runInSlices(this.window.pushInSteps(windowDump(header), summary.types), this.opts.sliceMs ?? 10);
    if (this.window.dumps.at(-1)?.id === summary.id) this.byBytes = typesByBytes(summary.types);
    this.forgetDropped();
    return this.analyse();
  }

  /** What the store's retention deleted no longer counts (see TypeWindow.forget). */
  private forgetDropped(): void {
    const kept = this.store.list(this.target.name);
    if (kept.length >= this.store.retention && kept[0]) this.window.forget(kept[0].time);
  }

  /** Verdicts and the exported type set from the window (the selector's stickiness advances by one), in slices. */
  private analyse(): Promise<Analysis> {
    return runInSlices(this.analysis(), this.opts.sliceMs ?? 10);
  }

  private *analysis(): Generator<unknown, Analysis, void> {
    const table = yield* this.window.verdicts(this.opts.verdict, 64);
    const suspects: Readonly<TypeVerdict>[] = [];
    for (let i = 0; i < table.suspectCount; i++) {
      suspects.push(table.shared(i)!);
      if ((i & 1023) === 1023) yield;
    }
    const newest = this.window.dumps.at(-1);
    const latest = newest?.id !== undefined ? this.store.get(this.target.name, newest.id) : undefined;
    const rows = yield* this.window.rowsInSteps();
    const selection = newest ? freezeSelection(yield* this.selector.selectInSteps(rows, table.growth())) : undefined;
    const tracked = new Set(selection?.tracked ?? []);
    const trackedRows = Object.freeze(
      (selection?.tracked ?? []).map((type) => {
        const r = rows.get(type);
        // A tracked type absent from the latest dump has 0 objects: its series continues instead of vanishing.
        return Object.freeze({ type, count: r?.count ?? 0, bytes: r?.bytes ?? 0 });
      }),
    );
    const trackedVerdicts: Readonly<TypeVerdict>[] = [];
    const stateCounts = { ...NO_STATES };
    for (let i = 0; i < table.length; i++) {
      if (tracked.has(table.type(i))) trackedVerdicts.push(table.shared(i)!);
      stateCounts[table.state(i)]++;
      if ((i & 8191) === 8191) yield;
    }
    return {
      latest,
      verdictTable: table,
      suspects: Object.freeze(suspects),
      stateCounts: Object.freeze(stateCounts),
      warmup: table.length > 0 && table.at(0)!.warmup === true,
      selection,
      trackedRows,
      trackedVerdicts: Object.freeze(trackedVerdicts),
      byBytes: this.byBytes,
      verdictOf: verdictLookup(table),
    };
  }
}

function windowDump(h: DumpHeader): WindowDump {
  const d: WindowDump = { id: h.id, time: h.time, bytesExact: h.bytesExact };
  if (h.requests !== undefined) d.requests = h.requests;
  return d;
}
