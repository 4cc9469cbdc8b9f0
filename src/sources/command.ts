// Heap source running a user command: an argv array (never a shell string; `{pid}` anywhere in an argument is
// replaced by the target's pid) whose stdout is any supported text format (auto-detected) or a plain
// `count bytes type` table. The command runs in its own process group, all of which is killed on abort. Its output
// is parsed as it streams, within the dump limits (--max-dump-bytes, --max-dump-types): a command printing without
// end is killed, and neither leakwatch's memory nor its event loop suffer meanwhile.
import { createDumpReader } from "../runtimes/index.js";
import { type DumpLimits, describeBytes, dumpLimits } from "../formats/limits.js";
import type { HeapFormat } from "../model/summary.js";
import { DumpError, type DumpContext, type HeapSource } from "../model/dump.js";
import type { DumpSummaryBody } from "../model/summary.js";
import { asDumpError } from "../model/dump.js";
import { ProcFs } from "../procfs/process.js";
import { firstLine, runTool } from "../runtime-kit/run-tool.js";
import { requireTarget } from "../runtime-kit/target.js";

export interface CommandSourceOptions {
  /** The command: argv[0] is the program (a path, or a name looked up in PATH). Must not be empty. */
  argv: readonly string[];
  /** The output format; default: detected from the output. */
  format?: HeapFormat;
  /** Extra memory the command needs in the target (bytes), if any; default 0. */
  memoryCost?: number;
  /** Environment for the command (default: process.env). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with the command's pid once started (tests use it). */
  onSpawn?: (pid: number) => void;
  /** /proc (tests point it at a fixture tree). */
  proc?: ProcFs;
  /** Caps on the output read (default DEFAULT_DUMP_LIMITS). */
  limits?: DumpLimits;
}

/** argv with every `{pid}` replaced by the pid. */
export function substitutePid(argv: readonly string[], pid: number): string[] {
  return argv.map((a) => a.replaceAll("{pid}", String(pid)));
}

export class CommandSource implements HeapSource {
  readonly name = "command";
  private readonly proc: ProcFs;

  constructor(private readonly options: CommandSourceOptions) {
    if (options.argv.length === 0 || options.argv[0] === "") throw new Error("command heap source: the command is empty");
    this.proc = options.proc ?? new ProcFs();
  }

  async memoryCost(): Promise<number> {
    return this.options.memoryCost ?? 0;
  }

  async dump(ctx: DumpContext): Promise<DumpSummaryBody> {
    const id = await requireTarget(this.proc, ctx.pid);
    const [file, ...args] = substitutePid(this.options.argv, ctx.pid);
    const limits = this.options.limits ?? dumpLimits();
    const reader = createDumpReader({ format: this.options.format, limits });
    const r = await runTool(file!, args, {
      signal: ctx.signal,
      env: this.options.env,
      cwd: this.options.cwd,
      onSpawn: this.options.onSpawn,
      maxStdoutBytes: limits.maxBytes,
      onStdout: (chunk) => reader.write(chunk),
    });
    if (r.spawnError !== undefined) {
      const reason = r.spawnError === "ENOENT" || r.spawnError === "EACCES" ? "tool_missing" : "internal";
      throw new DumpError(reason, `cannot run ${file}: ${r.spawnError}`);
    }
    if (r.maxBufferExceeded) {
      throw new DumpError("parse_error", `heap command ${file} printed more than ${describeBytes(limits.maxBytes)} (--max-dump-bytes); it was killed`);
    }
    // Killed for its output: how it exited says nothing.
    if (r.killedForOutput && r.outputError !== undefined) throw asDumpError(r.outputError, `output of heap command ${file} (it was killed)`);
    if (r.exitCode !== 0) {
      if (!(await this.proc.stillAlive(id))) throw new DumpError("target_exited", `process ${ctx.pid} exited during the dump command`);
      const how = r.exitCode !== undefined ? `exited with code ${r.exitCode}` : `was killed by ${r.signalName ?? "a signal"}`;
      const detail = firstLine(r.stderr);
      throw new DumpError("attach_failed", `heap command ${file} ${how}${detail ? `: ${detail}` : ""}`);
    }
    try {
      if (r.outputError !== undefined) throw r.outputError;
      return reader.end();
    } catch (err) {
      throw asDumpError(err, `output of heap command ${file}`);
    }
  }
}
