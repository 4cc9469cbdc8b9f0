// .NET heap source through the diagnostic command-line tools, parsing their text output:
//   dotnet-gcdump collect -p PID -o FILE; dotnet-gcdump report FILE          → "gcdump-report"
// or, when only dotnet-dump is installed,
//   dotnet-dump collect -p PID --type Heap -o FILE; dotnet-dump analyze FILE -c "dumpheap -stat" -c exit → "dumpheap-stat"
// The tools are looked up in PATH and in ~/.dotnet/tools (where `dotnet tool install -g` puts them). Raw files
// go to the private directory (created 0600 before the tool writes them) and to disposeRaw after parsing.
import { chmod, stat } from "node:fs/promises";
import path from "node:path";
import { streamDumpheapStat } from "./formats/dumpheap-stat.js";
import { streamGcdumpReport } from "./formats/gcdump-report.js";
import { type DumpLimits, describeBytes, dumpLimits } from "../../formats/limits.js";
import type { LineStream } from "../../formats/lines.js";
import { DumpError, type DumpContext, type HeapSource, type MemoryCostContext } from "../../model/dump.js";
import type { DumpSummaryBody } from "../../model/summary.js";
import { asDumpError } from "../../model/dump.js";
import { ProcFs } from "../../procfs/process.js";
import { findExecutable, homeDir } from "../../runtime-kit/find-executable.js";
import { createPrivateFile, rawFileName } from "../../runtime-kit/raw-files.js";
import { firstLine, runTool, type ToolResult } from "../../runtime-kit/run-tool.js";
import { requireTarget, type TargetIdentity } from "../../runtime-kit/target.js";

export interface DotnetTextSourceOptions {
  /** Path or name of dotnet-gcdump (default: looked up in PATH, then ~/.dotnet/tools). */
  gcdump?: string;
  /** Path or name of dotnet-dump (used only when dotnet-gcdump is not found). */
  dotnetDump?: string;
  /** Environment for the lookup and for the tools (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** /proc (tests point it at a fixture tree). */
  proc?: ProcFs;
  /** Caps on the reports read (default DEFAULT_DUMP_LIMITS). */
  limits?: DumpLimits;
}

export type DotnetTool = { kind: "gcdump" | "dotnet-dump"; path: string };

/** Turns a failed collect into a DumpError: the target gone, or the tool unable to connect to it. */
export function classifyDotnetCollectFailure(tool: string, pid: number, r: ToolResult, alive: boolean): DumpError {
  const out = `${r.stderr}\n${r.stdout}`;
  if (!alive) return new DumpError("target_exited", `process ${pid} exited during ${tool} collect`);
  const detail = firstLine(out.split("\n").find((l) => /error|exception|unable|fail|denied|not/i.test(l)) ?? out) || `exit code ${r.exitCode ?? r.signalName}`;
  if (/not running compatible|No such process|is not a \.NET|unable to find/i.test(out)) {
    return new DumpError("not_supported", `${tool} cannot collect from process ${pid}: ${detail}`);
  }
  return new DumpError(
    "attach_failed",
    `${tool} could not collect from process ${pid}: ${detail} (the tool must run as the same user as the target, in ` +
      `its /tmp (diagnostic socket dotnet-diagnostic-*), and the target must not set DOTNET_EnableDiagnostics=0)`,
  );
}

/** dotnet-gcdump's EventPipe session buffer in the target. */
const GCDUMP_BUFFER_BYTES = 256 * 1024 * 1024;

export class DotnetTextSource implements HeapSource {
  readonly name = "dotnet-text";
  private readonly env: NodeJS.ProcessEnv;
  private readonly proc: ProcFs;

  constructor(private readonly options: DotnetTextSourceOptions = {}) {
    this.env = options.env ?? process.env;
    this.proc = options.proc ?? new ProcFs();
  }

  /**
   * dotnet-gcdump triggers a gen-2 GC and streams the heap graph through an EventPipe session whose buffer (256 MiB,
   * the diagnostics client's default) is the target's memory; dotnet-dump's createdump writes the heap from
   * outside. So: that buffer for gcdump, or what dumps of this target measurably cost, whichever is more.
   */
  async memoryCost(ctx: MemoryCostContext): Promise<number> {
    const learned = ctx.learned ?? 0;
    const tool = await this.findTool().catch(() => undefined);
    return tool?.kind === "gcdump" ? Math.max(GCDUMP_BUFFER_BYTES, learned) : learned;
  }

  /** The tool that will be used: dotnet-gcdump if found, else dotnet-dump; DumpError("tool_missing") if neither. */
  async findTool(): Promise<DotnetTool> {
    const extra = [path.join(homeDir(this.env), ".dotnet", "tools")];
    const gcdump = await findExecutable(this.options.gcdump ?? "dotnet-gcdump", this.env, extra);
    if (gcdump !== undefined) return { kind: "gcdump", path: gcdump };
    const dump = await findExecutable(this.options.dotnetDump ?? "dotnet-dump", this.env, extra);
    if (dump !== undefined) return { kind: "dotnet-dump", path: dump };
    throw new DumpError("tool_missing", "neither dotnet-gcdump nor dotnet-dump found in PATH or ~/.dotnet/tools: `dotnet tool install -g dotnet-gcdump`");
  }

  async dump(ctx: DumpContext): Promise<DumpSummaryBody> {
    const tool = await this.findTool();
    const id = await requireTarget(this.proc, ctx.pid);
    const file = rawFileName(ctx.privateDir, ctx.pid, tool.kind === "gcdump" ? "gcdump" : "dmp");
    ctx.record?.file(file);
    await createPrivateFile(file);
    let disposed = false;
    try {
      const body = tool.kind === "gcdump" ? await this.viaGcdump(ctx, id, tool.path, file) : await this.viaDotnetDump(ctx, id, tool.path, file);
      disposed = true;
      await ctx.disposeRaw(file);
      return body;
    } finally {
      if (!disposed) await ctx.disposeRaw(file).catch(() => undefined);
    }
  }

  private async collect(ctx: DumpContext, id: TargetIdentity, toolName: string, toolPath: string, args: string[], file: string): Promise<void> {
    const r = await runTool(toolPath, args, { signal: ctx.signal, env: this.env, cwd: ctx.privateDir });
    if (r.spawnError !== undefined) throw new DumpError("tool_missing", `cannot run ${toolPath}: ${r.spawnError}`);
    if (r.exitCode !== 0) throw classifyDotnetCollectFailure(toolName, ctx.pid, r, await this.proc.stillAlive(id));
    // Some builds report failure on stdout with exit code 0 and no file.
    const size = await stat(file)
      .then((s) => s.size)
      .catch(() => 0);
    if (size === 0) {
      if (!(await this.proc.stillAlive(id))) throw new DumpError("target_exited", `process ${ctx.pid} exited during ${toolName} collect`);
      throw classifyDotnetCollectFailure(toolName, ctx.pid, r, true);
    }
    await chmod(file, 0o600).catch(() => undefined); // the tool may have replaced our 0600 file
  }

  private async viaGcdump(ctx: DumpContext, id: TargetIdentity, tool: string, file: string): Promise<DumpSummaryBody> {
    await this.collect(ctx, id, "dotnet-gcdump", tool, ["collect", "-p", String(ctx.pid), "-o", file], file);
    return this.report(ctx, tool, ["report", file], "gcdump-report", `dotnet-gcdump report of process ${ctx.pid}`);
  }

  private async viaDotnetDump(ctx: DumpContext, id: TargetIdentity, tool: string, file: string): Promise<DumpSummaryBody> {
    await this.collect(ctx, id, "dotnet-dump", tool, ["collect", "-p", String(ctx.pid), "--type", "Heap", "-o", file], file);
    return this.report(
      ctx,
      tool,
      ["analyze", file, "-c", "dumpheap -stat", "-c", "exit"],
      "dumpheap-stat",
      `dotnet-dump analyze (dumpheap -stat) of process ${ctx.pid}`,
    );
  }

  /** Runs the tool's report over the collected file, parsing its output as it is printed. */
  private async report(ctx: DumpContext, tool: string, args: string[], format: "gcdump-report" | "dumpheap-stat", what: string): Promise<DumpSummaryBody> {
    const limits = this.options.limits ?? dumpLimits();
    const parser: LineStream = format === "gcdump-report" ? streamGcdumpReport(limits) : streamDumpheapStat(limits);
    const r = await runTool(tool, args, {
      signal: ctx.signal,
      env: this.env,
      cwd: ctx.privateDir,
      maxStdoutBytes: limits.maxBytes,
      onStdout: (chunk) => parser.write(chunk),
    });
    if (r.spawnError !== undefined) throw new DumpError("tool_missing", `${what}: cannot run the tool: ${r.spawnError}`);
    if (r.maxBufferExceeded) throw new DumpError("parse_error", `${what}: more than ${describeBytes(limits.maxBytes)} (--max-dump-bytes); the tool was killed`);
    if (r.killedForOutput && r.outputError !== undefined) throw asDumpError(r.outputError, `${what} (the tool was killed)`);
    if (r.exitCode !== 0) {
      throw new DumpError("parse_error", `${what} failed (exit ${r.exitCode ?? r.signalName}): ${firstLine(r.stderr) || firstLine(r.stdout)}`);
    }
    try {
      if (r.outputError !== undefined) throw r.outputError;
      return parser.end();
    } catch (err) {
      throw asDumpError(err, what);
    }
  }
}
