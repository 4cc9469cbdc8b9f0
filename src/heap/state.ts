// One target's heap state. After each dump outcome it updates the counts, recomputes the verdicts and the sticky
// set of exported types from the stored history (src/analysis), and publishes one immutable HeapView, then emits
// a "dump" event with the outcome and that view. Readers (metrics, API, UI, report) only ever see whole views:
// a view never changes once published, so a scrape or a report reads one consistent state.
// The dump itself is the runner's (runner.ts); when dumps happen is the scheduler's.
import type { Logger } from "pino";
import type { Target } from "../targets/target.js";
import { leakVerdicts, TypeSelector, type TypeSelection, type TypeVerdict, type VerdictOptions } from "../analysis/index.js";
import type { HeapSource } from "../model/dump.js";
import type { DumpSummary } from "../model/summary.js";
import type { DumpStore } from "./store.js";
import type { PeakWatch } from "../sampling/peak.js";
import { DumpCosts } from "./cost.js";
import { rawDumpDisposer } from "./raw-dumps.js";
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
  /** The latest stored dump (shared with the store, which never modifies a summary). */
  readonly latest: DumpSummary | undefined;
  /** Per-type verdicts over the stored history, suspects first (leakVerdicts' order). */
  readonly verdicts: readonly Readonly<TypeVerdict>[];
  /** The suspects among the verdicts, in the same order. */
  readonly suspects: readonly Readonly<TypeVerdict>[];
  /** The types exported as their own series; undefined before the first dump. */
  readonly selection: HeapSelection | undefined;
  readonly counts: DumpCounts;
  /** How long the last dump took, successful or not. */
  readonly lastDurationSeconds: number | undefined;
  /** How far the target's memory rose during the last dump that ran (bytes), when it was measured. */
  readonly lastDumpCostBytes: number | undefined;
  /** When the last successful dump finished, since the Unix epoch. */
  readonly lastSuccessSeconds: number | undefined;
  readonly lastOutcome: Readonly<DumpOutcome> | undefined;
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
  keepDumps: number;
  maxTypes: number;
  verdict: VerdictOptions;
  /** Private directory for this target's raw dumps (created 0700). */
  rawDir: string;
  /** Records each dump's raw files so that none outlives leakwatch (runner.ts). */
  ledger?: RunnerOptions["ledger"];
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

export class HeapState {
  private current: HeapView;
  private running: Promise<DumpOutcome> | undefined;
  private readonly stopper = new AbortController();
  /** What this target's dumps have cost it, measured: the headroom guard's estimate once there is one. */
  private readonly costs = new DumpCosts();
  private readonly selector: TypeSelector;
  private readonly listeners = new Set<DumpListener>();
  private readonly disposeRaw: (file: string) => Promise<void>;

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
    // The history kept from an earlier run has its verdicts before the first dump of this one.
    this.current = Object.freeze({
      target: target.name,
      source: source.name,
      runtime,
      counts: Object.freeze({}),
      lastDurationSeconds: undefined,
      lastDumpCostBytes: undefined,
      lastSuccessSeconds: undefined,
      lastOutcome: undefined,
      ...this.analyse(),
    });
  }

  /** The latest published view. */
  get view(): HeapView {
    return this.current;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Calls fn after every outcome (success, failure or skip), once the new view is published. Returns an unsubscribe. */
  on(_event: "dump", fn: DumpListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Takes one dump now, unless one is running (then it is counted as skipped with reason busy). */
  dump(trigger: string, req: DumpRequest = {}): Promise<DumpOutcome> {
    if (this.stopper.signal.aborted) return Promise.resolve(this.record(skippedRun(this.log, this.target.name, "target_down", "leakwatch is stopping")));
    if (this.running) return Promise.resolve(this.record(skippedRun(this.log, this.target.name, "busy", "a dump of this target is still running")));
    this.running = this.take(trigger, req).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async take(trigger: string, { headroom, rss, requests, watchPeak, trend }: DumpRequest): Promise<DumpOutcome> {
    const t = this.target;
    const pid = t.main?.pid;
    if (pid === undefined) return this.record(skippedRun(this.log, t.name, "target_down", "no process behind the target"));
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
      },
      {
        timeoutSeconds: this.opts.timeoutSeconds,
        rawDir: this.opts.rawDir,
        disposeRaw: this.disposeRaw,
        keep: (summary) => this.store.add(summary),
        ledger: this.opts.ledger,
        stop: this.stopper.signal,
        logger: this.log,
      },
    );
    if (run.peak) this.costs.record(run.peak, run.outcome.summary);
    return this.record(run);
  }

  /** Ends a dump in flight (its raw files are removed) and refuses new ones; resolves once the dump has ended (and undone what it did in the target). */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running?.catch(() => undefined);
  }

  /** Applies one outcome: a new view replaces the current one, then listeners hear of it. */
  private record({ outcome, durationSeconds, peak }: DumpRun): DumpOutcome {
    const prev = this.current;
    const success = outcome.result === "success";
    const next: HeapView = Object.freeze({
      ...prev,
      ...(success ? this.analyse() : {}),
      counts: bump(prev.counts, outcome.result, outcome.reason ?? ""),
      lastDurationSeconds: durationSeconds ?? prev.lastDurationSeconds,
      lastDumpCostBytes: peak?.growth ?? prev.lastDumpCostBytes,
      lastSuccessSeconds: success ? Date.now() / 1000 : prev.lastSuccessSeconds,
      lastOutcome: Object.freeze(outcome),
    });
    this.current = next;
    const event: DumpEvent = Object.freeze({ target: next.target, outcome: next.lastOutcome!, view: next });
    for (const fn of this.listeners) fn(event);
    return outcome;
  }

  /** Verdicts and the exported type set from the stored history (the selector's stickiness advances by one). */
  private analyse(): Pick<HeapView, "latest" | "verdicts" | "suspects" | "selection"> {
    const dumps = this.store.list(this.target.name);
    const verdicts = Object.freeze(leakVerdicts(dumps, this.opts.verdict).map((v) => Object.freeze(v)));
    const latest = dumps.at(-1);
    return {
      latest,
      verdicts,
      suspects: Object.freeze(verdicts.filter((v) => v.suspect)),
      selection: latest ? freezeSelection(this.selector.select(latest.types, verdicts)) : undefined,
    };
  }
}
