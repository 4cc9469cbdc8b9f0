// One heap dump from start to finish, with no state of its own: the headroom guard, the source's dump raced
// against the timeout, the summary (recording the load count the caller passes in), and the reason when it fails.
// Everything it needs comes in as arguments; what an outcome changes (counts, history, verdicts) is the target's
// HeapState's business (state.ts), and when dumps happen is the scheduler's.
import type { Logger } from "pino";
import { DumpError, type DumpReason, type HeapSource } from "../model/dump.js";
import type { DumpHeader, DumpSummary } from "../model/summary.js";
import { ensureRawDir } from "./raw-dumps.js";
import { newDumpId } from "./store.js";

export type DumpResult = "success" | "failure" | "skipped";

/** Kept free beyond a source's own memory estimate when the headroom guard decides. */
export const HEADROOM_MARGIN = 16 * 1024 * 1024;

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
  /** The pid behind the target now: a target that went away during the dump explains its failure. */
  pidNow: () => number | undefined;
}

export interface RunnerOptions {
  timeoutSeconds: number;
  /** Private directory for the target's raw dumps (created 0700). */
  rawDir: string;
  /** Handed to the source for each raw file once parsed (raw-dumps.ts). */
  disposeRaw: (file: string) => Promise<void>;
  /** Persists the summary before the dump counts as a success; a failure here fails the dump (io_error). */
  keep: (summary: DumpSummary) => Promise<void>;
  logger: Logger;
}

export interface DumpRun {
  outcome: DumpOutcome<DumpSummary>;
  /** How long the dump took, successful or not; undefined when it was skipped. */
  durationSeconds?: number;
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
  if (headroom !== undefined) {
    // Observing the target must never be what kills it.
    // The estimate is rough (a snapshot of many small objects costs more than one of a few big ones), so a
    // margin stays free on top of it.
    const cost = await source.memoryCost({ pid, rss: job.rss, lastObjects: job.lastObjects }).catch(() => 0);
    if (cost > 0 && cost + HEADROOM_MARGIN > headroom) {
      return skippedRun(
        log,
        target,
        "insufficient_headroom",
        `the dump needs about ${cost} bytes plus a ${HEADROOM_MARGIN}-byte margin, the cgroup has ${headroom} left`,
      );
    }
  }
  await ensureRawDir(opts.rawDir);
  const started = Date.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new DumpError("timeout", `no result within ${opts.timeoutSeconds}s`)), opts.timeoutSeconds * 1000);
  log.info({ target, pid, source: source.name, trigger: job.trigger }, "heap dump started");
  try {
    // The race enforces the timeout even on a source that ignores its abort signal.
    const body = await Promise.race([
      source.dump({
        pid,
        command: job.command,
        signal: abort.signal,
        privateDir: opts.rawDir,
        disposeRaw: opts.disposeRaw,
        logger: log,
      }),
      new Promise<never>((_, reject) => abort.signal.addEventListener("abort", () => reject(abort.signal.reason as Error), { once: true })),
    ]);
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
    return { outcome: { result: "success", summary }, durationSeconds };
  } catch (err) {
    const durationSeconds = (Date.now() - started) / 1000;
    let reason: DumpReason = err instanceof DumpError ? err.reason : "internal";
    // A target that vanished during the dump explains whatever error the tool gave.
    if (reason !== "timeout" && job.pidNow() !== pid) reason = "target_exited";
    if (reason === "internal") log.error({ target, err }, "heap dump failed (bug)");
    else log.warn({ target, reason, err: (err as Error).message }, "heap dump failed");
    return { outcome: { result: "failure", reason, message: (err as Error).message }, durationSeconds };
  } finally {
    clearTimeout(timer);
    abort.abort(new DumpError("timeout", "dump finished"));
  }
}
