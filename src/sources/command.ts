// Heap source running a user command: an argv array (never a shell string; `{pid}` anywhere in an argument is
// replaced by the target's pid) whose stdout is any supported text format (auto-detected) or a plain
// `count bytes type` table. The command runs in its own process group, all of which is killed on abort.
import { parseText } from "../runtimes/index.js";
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
    const r = await runTool(file!, args, { signal: ctx.signal, env: this.options.env, cwd: this.options.cwd, onSpawn: this.options.onSpawn });
    if (r.spawnError !== undefined) {
      const reason = r.spawnError === "ENOENT" || r.spawnError === "EACCES" ? "tool_missing" : "internal";
      throw new DumpError(reason, `cannot run ${file}: ${r.spawnError}`);
    }
    if (r.maxBufferExceeded) throw new DumpError("parse_error", `heap command ${file} printed more than 256 MiB; it was killed`);
    if (r.exitCode !== 0) {
      if (!(await this.proc.stillAlive(id))) throw new DumpError("target_exited", `process ${ctx.pid} exited during the dump command`);
      const how = r.exitCode !== undefined ? `exited with code ${r.exitCode}` : `was killed by ${r.signalName ?? "a signal"}`;
      const detail = firstLine(r.stderr);
      throw new DumpError("attach_failed", `heap command ${file} ${how}${detail ? `: ${detail}` : ""}`);
    }
    try {
      return parseText(r.stdout, this.options.format);
    } catch (err) {
      throw asDumpError(err, `output of heap command ${file}`);
    }
  }
}
