// One heap dump from start to finish, with no state of its own: the headroom guard, the source's dump raced
// against the timeout, the summary (recording the load count the caller passes in), and the reason when it fails.
// Everything it needs comes in as arguments; what an outcome changes (counts, history, verdicts) is the target's
// HeapState's business (state.ts), and when dumps happen is the scheduler's.
import type { Logger } from "pino";
import { DumpError, SKIP_REASONS, type DumpReason, type HeapSource } from "../model/dump.js";
import type { HeapGraph } from "../model/heap-graph.js";
import type { DumpHeader, DumpSummary } from "../model/summary.js";
import type { Ledger } from "../leftovers/ledger.js";
import type { PeakReading, PeakWatch } from "../sampling/peak.js";
import type { CostEstimate } from "./cost.js";
import { ensureRawDir } from "./raw-dumps.js";
import { newDumpId } from "./store.js";

export type DumpResult = "success" | "failure" | "skipped";

/** Kept free beyond a source's own memory estimate when the headroom guard decides. */
export const HEADROOM_MARGIN = 16 * 1024 * 1024;
/**
 * How far ahead the headroom guard projects a rising target's memory: a snapshot begins when the target gets to it
 * (a Node target busy in its own code handles the signal only when it is done), with the heap it has then.
 */
export const TREND_HORIZON_SECONDS = 5;
/** How long a dump ended by leakwatch stopping may take to undo what it did in the target (close an inspector it opened). */
export const STOP_GRACE_MS = 5000;

/**
 * How one dump went. The runner's outcome carries the whole summary (rows included); the outcome a HeapState
 * publishes carries its header only, so that no reader keeps a dump's rows alive.
 */
export interface DumpOutcome<S extends DumpHeader | DumpSummary = DumpHeader> {
  result: DumpResult;
  reason?: DumpReason;
  message?: string;
  summary?: S;
}

/** The process to dump and what the dump records about it. */
export interface DumpJob {
  /** The target's name, for the summary and the log. */
  target: string;
  pid: number;
  command: string;
  /** What asked for the dump (schedule, interval, memory_threshold, requests, api, final, …), for the log. */
  trigger: string;
  /** Cumulative load requests as of the dump's start, when load is known: recorded in the summary. */
  requests: number | undefined;
  /** The cgroup's headroom, when known: the guard skips a dump that would not fit in it. */
  headroom?: number;
  /** The target's RSS, for the source's memory estimate. */
  rss?: number;
  /** Objects in the last dump by this source, for its memory estimate. */
  lastObjects?: number;
  /** What earlier dumps of this target cost it (cost.ts), handed to the source's memory estimate. */
  learned?: CostEstimate;
  /**
   * What the target's memory will have gained by the time the dump begins (its recent rise over
   * TREND_HORIZON_SECONDS); null when it has not been watched long enough to tell, which no costly dump goes ahead on.
   */
  rising?: number | null;
  /** Measures the target's memory while the dump runs (started before the guard reads anything). */
  watch?: PeakWatch;
  /** The pid behind the target now: a target that went away during the dump explains its failure. */
  pidNow: () => number | undefined;
  /** Ask the source for the heap graph too (the retention analysis reads it): DumpContext.graph. */
  graph?: boolean;
}

export interface RunnerOptions {
  timeoutSeconds: number;
  /** Private directory for the target's raw dumps (created 0700). */
  rawDir: string;
  /** Handed to the source for each raw file once parsed (raw-dumps.ts). */
  disposeRaw: (file: string) => Promise<void>;
  /** Persists the summary before the dump counts as a success; a failure here fails the dump (io_error). */
  keep: (summary: DumpSummary) => Promise<void>;
  /** Records the raw files the dump causes before they exist; whatever of them is left when the dump ends is removed. */
  ledger?: Pick<Ledger, "dumpScope">;
  /** Aborted when leakwatch stops: the dump ends at once (its raw files with it), and the source gets STOP_GRACE_MS to clean up. */
  stop?: AbortSignal;
  logger: Logger;
}

export interface DumpRun {
  outcome: DumpOutcome<DumpSummary>;
  /** How long the dump took, successful or not; undefined when it was skipped. */
  durationSeconds?: number;
  /** What the dump cost the target in memory, when it was measured. */
  peak?: PeakReading;
  /** The heap graph, when asked for and the source gave one (never stored). */
  graph?: HeapGraph;
}

/** A dump that was not attempted (logged; counted by whoever records the run). */
export function skippedRun(log: Logger, target: string, reason: DumpReason, message: string): DumpRun {
  log.info({ target, reason, message }, "heap dump skipped");
  return { outcome: { result: "skipped", reason, message } };
}

/** Takes one dump of job.pid with source. Resolves with the outcome whatever happens to the dump itself. */
export async function runDump(source: HeapSource, job: DumpJob, opts: RunnerOptions): Promise<DumpRun> {
  const { target, pid, headroom } = job;
  const log = opts.logger;
  let cost = 0;
  if (headroom !== undefined) {
    // Observing the target must never be what kills it.
    // The estimate is rough (a snapshot of many small objects costs more than one of a few big ones), so a
    // margin stays free on top of it.
    const rising = job.rising ?? undefined;
    cost = await source.memoryCost({ pid, rss: job.rss, lastObjects: job.lastObjects, learned: job.learned?.bytes, rising, headroom }).catch(() => 0);
    if (cost > 0 && job.rising === null) {
      job.watch?.cancel();
      return skippedRun(
        log,
        target,
        "insufficient_headroom",
        "the target has been watched for less than a second: whether its memory is still rising, and so what the dump would cost when it begins, is not known yet",
      );
    }
    if (cost > 0 && cost + HEADROOM_MARGIN > headroom) {
      job.watch?.cancel();
      const why = [
        ...(rising ? [`for the target ${Math.round(rising)} bytes bigger by the time it begins, as its memory is rising`] : []),
        ...(job.learned !== undefined && cost === job.learned.bytes ? [job.learned.basis] : []),
      ];
      const basis = why.length > 0 ? ` (${why.join("; ")})` : "";
      return skippedRun(
        log,
        target,
        "insufficient_headroom",
        `the dump needs about ${cost} bytes${basis} plus a ${HEADROOM_MARGIN}-byte margin, the cgroup has ${headroom} left`,
      );
    }
  }
  try {
    await ensureRawDir(opts.rawDir);
  } catch (err) {
    job.watch?.cancel();
    throw err;
  }
  const started = Date.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new DumpError("timeout", `no result within ${opts.timeoutSeconds}s`)), opts.timeoutSeconds * 1000);
  // Made before anything can abort, so that no abort goes unheard.
  const aborted = new Promise<never>((_, reject) => abort.signal.addEventListener("abort", () => reject(abort.signal.reason as Error), { once: true }));
  aborted.catch(() => undefined);
  const onStop = (): void => abort.abort(new DumpError("timeout", "leakwatch stopped during the dump"));
  if (opts.stop?.aborted) onStop();
  opts.stop?.addEventListener("abort", onStop, { once: true });
  const scope = opts.ledger?.dumpScope(pid);
  log.info({ target, pid, source: source.name, trigger: job.trigger }, "heap dump started");
  // A source that throws at once rejects this promise like one that fails later; none is started once stopped.
  const dumping = new Promise<Awaited<ReturnType<HeapSource["dump"]>>>((resolve) =>
    resolve(
      abort.signal.aborted
        ? aborted
        : source.dump({
            pid,
            command: job.command,
            signal: abort.signal,
            privateDir: opts.rawDir,
            disposeRaw: opts.disposeRaw,
            rising: job.rising ?? undefined,
            headroom,
            record: scope,
            graph: job.graph,
            logger: log,
          }),
    ),
  );
  let run: DumpRun;
  try {
    // The race enforces the timeout even on a source that ignores its abort signal.
    const { graph, ...body } = await Promise.race([dumping, aborted]);
    const durationSeconds = (Date.now() - started) / 1000;
    const summary: DumpSummary = {
      ...body,
      id: newDumpId(started),
      target,
      time: started,
      source: source.name,
      durationSeconds,
      requests: job.requests,
    };
    try {
      await opts.keep(summary);
    } catch (err) {
      throw new DumpError("io_error", `cannot store the summary: ${(err as Error).message}`);
    }
    log.info({ target, id: summary.id, types: summary.types.length, bytes: summary.totalBytes, seconds: durationSeconds }, "heap dump stored");
    run = { outcome: { result: "success", summary }, durationSeconds, ...(graph ? { graph } : {}) };
  } catch (err) {
    const durationSeconds = (Date.now() - started) / 1000;
    let reason: DumpReason = err instanceof DumpError ? err.reason : "internal";
    // A source that declined before touching the target (not enough disk for the snapshot) skipped the dump.
    if (SKIP_REASONS.has(reason)) {
      job.watch?.cancel();
      return skippedRun(log, target, reason, (err as Error).message);
    }
    // A target that vanished during the dump explains whatever error the tool gave.
    if (reason !== "timeout" && job.pidNow() !== pid) reason = "target_exited";
    if (reason === "internal") log.error({ target, err }, "heap dump failed (bug)");
    else log.warn({ target, reason, err: (err as Error).message }, "heap dump failed");
    run = { outcome: { result: "failure", reason, message: (err as Error).message }, durationSeconds };
  } finally {
    clearTimeout(timer);
    opts.stop?.removeEventListener("abort", onStop);
    abort.abort(new DumpError("timeout", "dump finished"));
    // Stopping leakwatch must not leave what the dump did in the target undone (an inspector it opened): the source
    // gets a little time to finish cleaning up before leakwatch goes on to exit.
    if (opts.stop?.aborted) await settledWithin(dumping, STOP_GRACE_MS);
    // A raw file this dump caused must not stay behind, whatever ended it (a source that ignored the abort included).
    scope?.settle();
  }
  const peak = await job.watch?.stop().catch(() => undefined);
  if (peak !== undefined) {
    run.peak = peak;
    log.info({ target, growth: peak.growth, exact: peak.exact, estimate: cost || undefined }, "heap dump cost the target");
    if (cost > 0 && peak.growth > cost) {
      log.warn({ target, growth: peak.growth, estimate: cost }, "the dump cost the target more memory than estimated; later estimates use what it cost");
    }
  }
  return run;
}

/** Resolves when p settles or after ms, whichever comes first. */
function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((r) => (timer = setTimeout(r, ms))),
  ]).finally(() => clearTimeout(timer));
}
