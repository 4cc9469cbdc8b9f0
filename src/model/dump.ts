// A heap source takes one heap-statistics snapshot of a running process and returns its per-type table.
// Adding a runtime means one new file in sources/ (implementing HeapSource) and, if its format is new, a parser.
import type { Logger } from "pino";
import type { DumpSummaryBody } from "./summary.js";

/** Why a dump failed or was skipped: a small fixed set, used as the `reason` label. */
export const DUMP_REASONS = [
  "parse_error", // the tool's output could not be parsed
  "timeout", // the dump took longer than --dump-timeout; the tool was killed
  "tool_missing", // jcmd / dotnet-gcdump / … not installed
  "target_exited", // the target went away before or during the dump
  "target_down", // no process behind the target when the dump was due
  "insufficient_headroom", // skipped: the dump would need more memory than the cgroup has left
  "attach_failed", // the tool could not attach (other user, namespace, attach listener disabled, …)
  "not_supported", // the target or runtime does not support this source (e.g. no --heapsnapshot-signal)
  "incomplete", // the runtime reported lost events or a truncated stream
  "io_error", // writing or reading a raw dump file failed (disk full, permissions)
  "busy", // a dump of this target was still running
  "internal", // a bug in leakwatch: logged with its stack
] as const;
export type DumpReason = (typeof DUMP_REASONS)[number];

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
  logger: Logger;
}

export interface MemoryCostContext {
  pid: number;
  rss: number | undefined;
  /** Objects in this target's previous dump by the same source, when there is one. */
  lastObjects?: number;
}

export interface HeapSource {
  /** The `--heap-source` name: jvm, v8, dotnet, dotnet-text, command, file. */
  readonly name: string;
  /**
   * Extra memory the target needs to produce this dump (a V8 snapshot costs about twice the heap), or 0.
   * The scheduler skips the dump (reason insufficient_headroom) when the cgroup has less headroom than this.
   */
  memoryCost(ctx: MemoryCostContext): Promise<number>;
  dump(ctx: DumpContext): Promise<DumpSummaryBody>;
}
