// The dump contract every heap source fulfils: one heap-statistics snapshot of a running process in, its per-type
// table (DumpSummaryBody) out, or a DumpError with one of a fixed set of reasons. Runtimes live in src/runtimes/.
import type { Logger } from "pino";
import { ParseError } from "./parse-error.js";
import type { HeapGraph } from "./heap-graph.js";
import type { DumpSummaryBody } from "./summary.js";

/** Why a dump failed or was skipped: a small fixed set, used as the `reason` label. */
export const DUMP_REASONS = [
  "parse_error", // the tool's output could not be parsed
  "timeout", // the dump took longer than --dump-timeout; the tool was killed
  "tool_missing", // the runtime's diagnostic tool is not installed
  "target_exited", // the target went away before or during the dump
  "target_down", // no process behind the target when the dump was due
  "insufficient_headroom", // skipped: the dump would need more memory than the cgroup has left
  "insufficient_disk", // skipped: the target would write a snapshot larger than the free space where it writes it
  "attach_failed", // the tool could not attach (other user, namespace, attach listener disabled, …)
  "not_supported", // the target or runtime does not support this source (e.g. started without the flag it needs)
  "incomplete", // the runtime reported lost events or a truncated stream
  "io_error", // writing or reading a raw dump file failed (disk full, permissions)
  "busy", // a dump of this target was still running
  "internal", // a bug in leakwatch: logged with its stack
] as const;
export type DumpReason = (typeof DUMP_REASONS)[number];

/** Reasons a source may give to decline a dump before touching the target: counted as skipped, not as failed. */
export const SKIP_REASONS: ReadonlySet<DumpReason> = new Set<DumpReason>(["insufficient_disk"]);

export class DumpError extends Error {
  constructor(
    readonly reason: DumpReason,
    message: string,
  ) {
    super(message);
  }
}

export interface DumpContext {
  pid: number;
  /** The target's command line (for sources that read flags such as --inspect-port). */
  command: string;
  /** Aborted on timeout or shutdown: the source must kill its tool and stop reading. */
  signal: AbortSignal;
  /** A private (0700) directory for raw dump files; files in it are created 0600 and deleted after parsing. */
  privateDir: string;
  /** Called with a raw dump file once parsed: deletes it, or keeps it when the user asked (--keep-dumps N). */
  disposeRaw(file: string): Promise<void>;
  /** Where the source says what it is about to leave on disk, before it does (absent in one-off tools and tests). */
  record?: RawRecorder;
  /** Bytes the target's memory will have gained by the time the dump begins, when known (MemoryCostContext.rising). */
  rising?: number;
  /** The target's cgroup headroom as the guard saw it, when known (MemoryCostContext.headroom). */
  headroom?: number;
  /**
   * The caller will look for what keeps the growing types alive (retention analysis): a source that can read the
   * references between objects returns them in DumpBody.graph. A source whose graph costs the target more than its
   * regular dump (a JVM heap dump pauses it) decides itself whether to take it now (at most every retention interval).
   */
  graph?: boolean;
  logger: Logger;
}

/** What a dump returns: its per-type table and, when asked (DumpContext.graph) and possible, the heap graph. */
export interface DumpBody extends DumpSummaryBody {
  /** Never stored: the retention analysis reads it once and lets it go. */
  graph?: HeapGraph;
}

/**
 * What a dump may leave on disk if leakwatch dies during it. Each is recorded before it comes to exist, so that a
 * leakwatch stopped mid-dump (or killed: its next start) removes exactly what this dump caused and nothing else.
 */
export interface RawRecorder {
  /** A raw file at this exact path: about to be created, or just found. */
  file(path: string): void;
  /**
   * A file the target itself is about to write into dir because leakwatch asks it to now (a signal). `names`
   * matches the names of such files, group 1 being the writing process's pid and group 2 a number that grows with
   * each file it writes; `before` names the files already there. Returns what to call should the request not be
   * made after all (the signal could not be sent).
   */
  requested(dir: string, pid: number, names: RegExp, before: Iterable<string>): () => void;
}

export interface MemoryCostContext {
  pid: number;
  rss: number | undefined;
  /** Objects in this target's previous dump by the same source, when there is one. */
  lastObjects?: number;
  /**
   * What dumps of this target by this source measurably cost it (the worst ratio seen, with a margin, applied to the
   * target as it is now), once one has been measured in this run. A source decides how it weighs this against its
   * own model: it is what this target's dumps really cost, its model is what any target's might.
   */
  learned?: number;
  /**
   * Bytes the target's memory will have gained by the time the dump begins, going by its recent rise (a heap still
   * being built grows much in seconds, and a busy target takes a snapshot only when it gets to it): the estimate is
   * for the target as it will be then.
   */
  rising?: number;
  /**
   * The target's memory cgroup headroom, when known: a source whose cost it can choose (a buffer in the target)
   * sizes it to fit, and answers the cost it will really use.
   */
  headroom?: number;
}

export interface HeapSource {
  /** The `--heap-source` name: jvm, v8, dotnet, dotnet-text, command, file. */
  readonly name: string;
  /**
   * Extra memory the target needs to produce this dump (a V8 snapshot costs many times the heap), or 0.
   * The runner skips the dump (reason insufficient_headroom) when the cgroup has less headroom than this.
   */
  memoryCost(ctx: MemoryCostContext): Promise<number>;
  dump(ctx: DumpContext): Promise<DumpBody>;
}

/** Wraps a parser failure as DumpError("parse_error"); other errors pass through. */
export function asDumpError(err: unknown, what: string): unknown {
  if (err instanceof DumpError) return err;
  if (err instanceof ParseError) return new DumpError("parse_error", `${what}: ${err.message}`);
  return err;
}

/** Ensures anything thrown from a dump is a DumpError (unknown errors become "internal", keeping the stack). */
export function toDumpError(err: unknown, what: string): DumpError {
  const e = asDumpError(err, what);
  if (e instanceof DumpError) return e;
  const wrapped = new DumpError("internal", `${what}: ${e instanceof Error ? e.message : String(e)}`);
  if (e instanceof Error && e.stack) wrapped.stack = `${wrapped.stack ?? ""}\nCaused by: ${e.stack}`;
  return wrapped;
}
