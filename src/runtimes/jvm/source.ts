// JVM heap source: `jcmd <pid> GC.class_histogram` counts live objects per class (it forces a full GC first). When
// the caller asks for the heap graph (retention analysis), at most every --retention-interval, `jcmd <pid>
// GC.heap_dump` writes the live heap as an HPROF file instead (a pause of the JVM), read by ./hprof.ts.
// jcmd attaches by sending SIGQUIT to the target, which kills any process that is not a JVM, so the target is
// checked to be a JVM first. A JVM that inherited an ignored SIGQUIT (started with `java … &` from a
// non-interactive shell) never opens its attach listener: that case is recognised from /proc without waiting
// for jcmd's 10.5 s attach timeout.
import { access, chmod, stat, statfs, unlink } from "node:fs/promises";
import { streamJavaHistogram } from "./histogram.js";
import { readHprofGraphOffThread } from "./hprof-thread.js";
import { type DumpLimits, describeBytes, dumpLimits } from "../../formats/limits.js";
import { DumpError, type DumpBody, type DumpContext, type HeapSource } from "../../model/dump.js";
import type { DumpSummaryBody } from "../../model/summary.js";
import { asDumpError } from "../../model/dump.js";
import { ProcFs } from "../../procfs/process.js";
import { findExecutable } from "../../runtime-kit/find-executable.js";
import { firstLine, runTool } from "../../runtime-kit/run-tool.js";
import { requireTarget } from "../../runtime-kit/target.js";
import { createPrivateFile, rawFileName } from "../../runtime-kit/raw-files.js";
import { isRuntime } from "../../runtime-kit/detect.js";
import { JVM_SIGNATURE } from "./signature.js";

export interface JvmSourceOptions {
  /** jcmd to run: a path, or a name looked up in PATH (default "jcmd", then $JAVA_HOME/bin/jcmd). */
  jcmd?: string;
  /** Environment for the lookup and for jcmd (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** /proc (tests point it at a fixture tree). */
  proc?: ProcFs;
  /** Caps on jcmd's output (default DEFAULT_DUMP_LIMITS). */
  limits?: DumpLimits;
  /** Seconds between two HPROF heap dumps of a target when the caller asks for the graph (default 600). */
  retentionInterval?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
  /** Free bytes in the filesystem of dir (default: statfs), for tests. */
  freeBytes?: (dir: string) => Promise<number>;
}

/** Space left free on the disk beyond the HPROF file's estimated size. */
export const HPROF_DISK_MARGIN = 64 * 1024 * 1024;

/**
 * Bytes an HPROF file of a heap takes, from the histogram's live bytes and objects: every reference is written as an
 * 8-byte identifier (4 bytes in the heap with compressed references) and every object gets a 9 to 25-byte record
 * header in place of its 12-byte one; at most twice the bytes, plus 16 bytes an object. Without a histogram yet,
 * the target's anonymous RSS stands for its heap (a live heap is never larger than what the process has resident).
 */
export function hprofFileEstimate(last: { bytes: number; objects: number } | undefined, rssAnon: number): number {
  if (last !== undefined) return 2 * last.bytes + 16 * last.objects;
  return 2 * rssAnon;
}

/**
 * jcmd is a JVM itself, and its own start is most of a histogram dump's time: a client that runs for half a second
 * needs neither the optimising compiler, nor a parallel GC, nor a perf-data file of its own. Measured in
 * bench/jvm-spawn/ (jcmd alone: about a third less time). The target is not affected.
 */
export const JCMD_CLIENT_FLAGS = ["-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData"];

const SAME_USER = "jcmd must run as the same user as the JVM (and in its mount namespace, or with access to /proc/PID/root/tmp)";

/** Turns a failed jcmd run into a DumpError with a reason and a message that says what to do. */
export function classifyJcmdFailure(pid: number, output: string, alive: boolean): DumpError {
  const text = output;
  const exception = firstLine(text.split("\n").find((l) => /Exception|Error/.test(l)) ?? text.replace(/^\s*\d+:\s*$/m, ""));
  if (!alive || /No such process/.test(text)) return new DumpError("target_exited", `process ${pid} exited before jcmd could attach`);
  if (/AttachNotSupportedException|Unable to open socket file|not responding|doesn't respond|does not respond/.test(text)) {
    return new DumpError(
      "attach_failed",
      `jcmd could not attach to process ${pid}: ${exception}. Either the JVM ignores SIGQUIT (it was started in the ` +
        `background of a non-interactive shell, \`java … &\`, or with -Xrs) and so never opens its attach listener — start ` +
        `it with -XX:+StartAttachListener — or ${SAME_USER}.`,
    );
  }
  if (/well-known file|not secure|Permission denied|AccessDenied|Operation not permitted/i.test(text)) {
    return new DumpError("attach_failed", `jcmd could not attach to process ${pid}: ${exception}; ${SAME_USER}.`);
  }
  return new DumpError("attach_failed", `jcmd failed on process ${pid}: ${exception || "no output"}`);
}

export class JvmSource implements HeapSource {
  readonly name = "jvm";
  private readonly env: NodeJS.ProcessEnv;
  private readonly proc: ProcFs;

  /** Per target pid: when its last HPROF dump was taken (ms), and its last histogram's totals. */
  private readonly lastHprof = new Map<number, number>();
  private readonly lastHistogram = new Map<number, { bytes: number; objects: number }>();

  constructor(private readonly options: JvmSourceOptions = {}) {
    this.env = options.env ?? process.env;
    this.proc = options.proc ?? new ProcFs();
  }

  /**
   * jcmd's class histogram runs inside the target's existing heap: no extra memory worth reserving. What the target
   * grows by while it runs is its own allocation, not the histogram's, so the measured cost (ctx.learned) is not used.
   */
  async memoryCost(): Promise<number> {
    return 0;
  }

  private async findJcmd(): Promise<string> {
    const wanted = this.options.jcmd ?? "jcmd";
    const extra = this.options.jcmd === undefined && this.env.JAVA_HOME ? [`${this.env.JAVA_HOME}/bin`] : [];
    const found = await findExecutable(wanted, this.env, extra);
    if (found === undefined) {
      throw new DumpError("tool_missing", `${wanted} not found in PATH${extra.length ? " or $JAVA_HOME/bin" : ""}: install a JDK (not only a JRE)`);
    }
    return found;
  }

  /** An HPROF dump is due when the caller asks for the graph and the retention interval has passed since the last. */
  private hprofDue(ctx: DumpContext): boolean {
    if (ctx.graph !== true) return false;
    const last = this.lastHprof.get(ctx.pid);
    const now = (this.options.now ?? Date.now)();
    return last === undefined || now - last >= (this.options.retentionInterval ?? 600) * 1000;
  }

  async dump(ctx: DumpContext): Promise<DumpBody> {
    const jcmd = await this.findJcmd();
    const id = await requireTarget(this.proc, ctx.pid);
    if ((await isRuntime(this.proc, ctx.pid, JVM_SIGNATURE)) !== true) {
      // jcmd would send SIGQUIT, which kills a process that is not a JVM.
      throw new DumpError("not_supported", `process ${ctx.pid} is not recognisably a JVM (no java executable or libjvm.so); not attaching with jcmd`);
    }
    await this.checkAttachable(ctx.pid);
    if (this.hprofDue(ctx)) return this.dumpHprof(ctx, jcmd, id);
    const body = await this.dumpHistogram(ctx, jcmd, id);
    this.lastHistogram.set(ctx.pid, { bytes: body.totalBytes, objects: body.totalObjects });
    return body;
  }

  /**
   * `jcmd PID GC.heap_dump -all=false FILE`: the live objects (after a full GC) as an HPROF file, written by the
   * JVM into a 0600 file made beforehand (-overwrite keeps its mode), read into the per-class summary and the heap
   * graph, then disposed of. The JVM is paused while it writes: the summary's notes say for how long.
   */
  private async dumpHprof(ctx: DumpContext, jcmd: string, id: Awaited<ReturnType<typeof requireTarget>>): Promise<DumpBody> {
    await this.checkDisk(ctx);
    const file = rawFileName(ctx.privateDir, ctx.pid, "hprof");
    ctx.record?.file(file);
    await createPrivateFile(file);
    const started = performance.now();
    try {
      let r = await this.runHeapDump(ctx, jcmd, file, true);
      if (r.exitCode !== 0 && /overwrite/.test(`${r.stdout}${r.stderr}`)) {
        // A JDK before 17 has no -overwrite: it creates the file itself, which must not exist yet.
        await unlink(file).catch(() => undefined);
        r = await this.runHeapDump(ctx, jcmd, file, false);
      }
      const seconds = (performance.now() - started) / 1000;
      if (r.spawnError !== undefined) throw new DumpError("tool_missing", `cannot run ${jcmd}: ${r.spawnError}`);
      if (r.exitCode !== 0 || !/Heap dump file created/.test(r.stdout)) {
        throw classifyJcmdFailure(ctx.pid, `${r.stdout}\n${r.stderr}`, await this.proc.stillAlive(id));
      }
      await chmod(file, 0o600); // the JVM created it when it had no -overwrite
      const size = (await stat(file)).size;
      this.lastHprof.set(ctx.pid, (this.options.now ?? Date.now)());
      let parsed: Awaited<ReturnType<typeof readHprofGraphOffThread>>;
      try {
        parsed = await readHprofGraphOffThread(file, ctx.signal);
      } catch (err) {
        throw asDumpError(err, `HPROF heap dump of process ${ctx.pid}`);
      }
      const { summary, graph } = parsed;
      return {
        ...summary,
        kind: "hprof",
        notes: [
          ...summary.notes,
          `the JVM was paused for up to ${seconds.toFixed(2)} s while it wrote a ${describeBytes(size)} HPROF heap dump (at most every retention interval)`,
        ],
        graph,
      };
    } finally {
      // A dump we caused must not stay behind, parsed or not (kept only when --keep-dumps says so).
      await ctx.disposeRaw(file).catch(() => undefined);
    }
  }

  private runHeapDump(ctx: DumpContext, jcmd: string, file: string, overwrite: boolean) {
    const args = [...JCMD_CLIENT_FLAGS, String(ctx.pid), "GC.heap_dump", "-all=false", ...(overwrite ? ["-overwrite"] : []), file];
    return runTool(jcmd, args, { signal: ctx.signal, env: this.env, maxStdoutBytes: 1024 * 1024 });
  }

  /** Refuses (insufficient_disk) when an HPROF file of the live heap would not fit in the private directory's filesystem. */
  private async checkDisk(ctx: DumpContext): Promise<void> {
    let free: number;
    try {
      free = await (
        this.options.freeBytes ??
        (async (dir: string) => {
          const fs = await statfs(dir);
          return fs.bavail * fs.bsize;
        })
      )(ctx.privateDir);
    } catch (err) {
      ctx.logger.warn({ dir: ctx.privateDir, err: (err as Error).message }, "cannot read the free space for the HPROF heap dump");
      return;
    }
    const mem = await this.proc.memoryOrEmpty(ctx.pid);
    const need = hprofFileEstimate(this.lastHistogram.get(ctx.pid), mem.rssAnon ?? mem.rss ?? 0);
    if (need + HPROF_DISK_MARGIN > free) {
      throw new DumpError(
        "insufficient_disk",
        `an HPROF heap dump of process ${ctx.pid} needs about ${describeBytes(need)} plus a ${describeBytes(HPROF_DISK_MARGIN)} margin in ` +
          `${ctx.privateDir}, which has ${describeBytes(free)} free; not taking it`,
      );
    }
  }

  private async dumpHistogram(ctx: DumpContext, jcmd: string, id: Awaited<ReturnType<typeof requireTarget>>): Promise<DumpSummaryBody> {
    const limits = this.options.limits ?? dumpLimits();
    // The histogram is parsed as jcmd prints it: a million classes never sit in memory as one string.
    const parser = streamJavaHistogram("jcmd-histogram", limits);
    const r = await runTool(jcmd, [...JCMD_CLIENT_FLAGS, String(ctx.pid), "GC.class_histogram"], {
      signal: ctx.signal,
      env: this.env,
      maxStdoutBytes: limits.maxBytes,
      onStdout: (chunk) => parser.write(chunk),
    });
    if (r.spawnError !== undefined) throw new DumpError("tool_missing", `cannot run ${jcmd}: ${r.spawnError}`);
    const what = `jcmd GC.class_histogram output of process ${ctx.pid}`;
    if (r.maxBufferExceeded) throw new DumpError("parse_error", `${what}: more than ${describeBytes(limits.maxBytes)} (--max-dump-bytes); jcmd was killed`);
    if (r.killedForOutput && r.outputError !== undefined) throw asDumpError(r.outputError, `${what} (jcmd was killed)`);
    const output = `${r.stdout}\n${r.stderr}`;
    // jcmd prints its failures (with exit code 1) to stderr, sometimes stdout; "<pid>:" alone is not a histogram.
    if (r.exitCode !== 0 || !/#instances/.test(r.stdout)) {
      throw classifyJcmdFailure(ctx.pid, output, await this.proc.stillAlive(id));
    }
    try {
      if (r.outputError !== undefined) throw r.outputError;
      return { ...parser.end(), kind: "histogram" };
    } catch (err) {
      throw asDumpError(err, what);
    }
  }

  /**
   * jcmd makes a JVM open its attach listener by sending SIGQUIT, unless the listener's socket exists already.
   * A JVM that ignores SIGQUIT (inherited ignore) never opens it, and one started with -Xrs may die of it; jcmd
   * would wait 10.5 s and fail, or kill the target. Fails fast with the explanation instead.
   */
  private async checkAttachable(pid: number): Promise<void> {
    // A JVM in a container knows itself by its innermost namespaced pid (the last NSpid value).
    const socket = this.proc.viaRoot(pid, `/tmp/.java_pid${(await this.proc.namespacePids(pid)).at(-1) ?? pid}`);
    try {
      await access(socket);
      return; // listener open: jcmd connects without a signal
    } catch {
      // no listener yet: jcmd will send SIGQUIT
    }
    const argv = (await this.proc.argv(pid)) ?? [];
    const envOptions = [await this.proc.environVar(pid, "JAVA_TOOL_OPTIONS"), await this.proc.environVar(pid, "JDK_JAVA_OPTIONS")].flatMap((v) =>
      v ? v.split(/\s+/) : [],
    );
    const options = [...envOptions, ...argv];
    if (options.includes("-XX:+DisableAttachMechanism")) {
      throw new DumpError("not_supported", `process ${pid} runs with -XX:+DisableAttachMechanism: jcmd cannot attach`);
    }
    if (options.includes("-XX:+StartAttachListener")) return;
    if (await this.proc.signalMask(pid, "SIGQUIT", "SigIgn")) {
      throw new DumpError(
        "attach_failed",
        `process ${pid} ignores SIGQUIT (it was started in the background of a non-interactive shell, \`java … &\`), ` +
          `so jcmd cannot make it open its attach listener; start the JVM with -XX:+StartAttachListener (or from a ` +
          `shell with job control or a service manager). Also, ${SAME_USER}.`,
      );
    }
    if (options.includes("-Xrs")) {
      throw new DumpError(
        "attach_failed",
        `process ${pid} runs with -Xrs and has no attach listener open: jcmd's SIGQUIT could terminate it; start ` + `the JVM with -XX:+StartAttachListener`,
      );
    }
  }
}
