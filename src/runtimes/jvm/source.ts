// JVM heap source: `jcmd <pid> GC.class_histogram` counts live objects per class (it forces a full GC first).
// jcmd attaches by sending SIGQUIT to the target, which kills any process that is not a JVM, so the target is
// checked to be a JVM first. A JVM that inherited an ignored SIGQUIT (started with `java … &` from a
// non-interactive shell) never opens its attach listener: that case is recognised from /proc without waiting
// for jcmd's 10.5 s attach timeout.
import { access, readFile } from "node:fs/promises";
import { parseText } from "../parsers-index.js";
import { DumpError, type DumpContext, type HeapSource } from "../../model/dump.js";
import type { DumpSummaryBody } from "../../model/summary.js";
import {
  asDumpError,
  findExecutable,
  firstLine,
  readCmdline,
  readEnvironVar,
  requireTarget,
  runTool,
  stillAlive,
} from "../../sourcekit/run-tool.js";
import { detectRuntime } from "../detect.js";

export interface JvmSourceOptions {
  /** jcmd to run: a path, or a name looked up in PATH (default "jcmd", then $JAVA_HOME/bin/jcmd). */
  jcmd?: string;
  /** Environment for the lookup and for jcmd (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** /proc (tests point it elsewhere). */
  procRoot?: string;
}

const SAME_USER =
  "jcmd must run as the same user as the JVM (and in its mount namespace, or with access to /proc/PID/root/tmp)";

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

/** The namespaced pid (last NSpid value) of a process, as a JVM in a container knows itself. */
async function nsPid(pid: number, procRoot: string): Promise<number> {
  try {
    const status = await readFile(`${procRoot}/${pid}/status`, "utf8");
    const m = /^NSpid:\s*([\d\s]+)$/m.exec(status);
    const last = m?.[1]?.trim().split(/\s+/).pop();
    return last ? Number(last) : pid;
  } catch {
    return pid;
  }
}

/** True when the process ignores SIGQUIT (bit 3 of SigIgn in /proc/PID/status). */
async function ignoresSigquit(pid: number, procRoot: string): Promise<boolean> {
  try {
    const status = await readFile(`${procRoot}/${pid}/status`, "utf8");
    const m = /^SigIgn:\s*([0-9a-fA-F]+)$/m.exec(status);
    return m !== null && (BigInt(`0x${m[1]}`) & 4n) !== 0n;
  } catch {
    return false;
  }
}

export class JvmSource implements HeapSource {
  readonly name = "jvm";
  private readonly env: NodeJS.ProcessEnv;
  private readonly procRoot: string;

  constructor(private readonly options: JvmSourceOptions = {}) {
    this.env = options.env ?? process.env;
    this.procRoot = options.procRoot ?? "/proc";
  }

  /** jcmd's class histogram runs inside the target's existing heap: no extra memory worth reserving. */
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

  async dump(ctx: DumpContext): Promise<DumpSummaryBody> {
    const jcmd = await this.findJcmd();
    const id = await requireTarget(ctx.pid, this.procRoot);
    const runtime = await detectRuntime(ctx.pid, this.procRoot);
    if (runtime !== "jvm") {
      // jcmd would send SIGQUIT, which kills a process that is not a JVM.
      throw new DumpError("not_supported", `process ${ctx.pid} is not a JVM (detected: ${runtime}); not attaching with jcmd`);
    }
    await this.checkAttachable(ctx.pid);
    const r = await runTool(jcmd, [String(ctx.pid), "GC.class_histogram"], { signal: ctx.signal, env: this.env });
    if (r.spawnError !== undefined) throw new DumpError("tool_missing", `cannot run ${jcmd}: ${r.spawnError}`);
    const output = `${r.stdout}\n${r.stderr}`;
    // jcmd prints its failures (with exit code 1) to stderr, sometimes stdout; "<pid>:" alone is not a histogram.
    if (r.exitCode !== 0 || !/#instances/.test(r.stdout)) {
      throw classifyJcmdFailure(ctx.pid, output, await stillAlive(id, this.procRoot));
    }
    try {
      return parseText(r.stdout, "jcmd-histogram");
    } catch (err) {
      throw asDumpError(err, `jcmd GC.class_histogram output of process ${ctx.pid}`);
    }
  }

  /**
   * jcmd makes a JVM open its attach listener by sending SIGQUIT, unless the listener's socket exists already.
   * A JVM that ignores SIGQUIT (inherited ignore) never opens it, and one started with -Xrs may die of it; jcmd
   * would wait 10.5 s and fail, or kill the target. Fails fast with the explanation instead.
   */
  private async checkAttachable(pid: number): Promise<void> {
    const socket = `${this.procRoot}/${pid}/root/tmp/.java_pid${await nsPid(pid, this.procRoot)}`;
    try {
      await access(socket);
      return; // listener open: jcmd connects without a signal
    } catch {
      // no listener yet: jcmd will send SIGQUIT
    }
    const argv = (await readCmdline(pid, this.procRoot)) ?? [];
    const envOptions = [
      await readEnvironVar(pid, "JAVA_TOOL_OPTIONS", this.procRoot),
      await readEnvironVar(pid, "JDK_JAVA_OPTIONS", this.procRoot),
    ].flatMap((v) => (v ? v.split(/\s+/) : []));
    const options = [...envOptions, ...argv];
    if (options.includes("-XX:+DisableAttachMechanism")) {
      throw new DumpError("not_supported", `process ${pid} runs with -XX:+DisableAttachMechanism: jcmd cannot attach`);
    }
    if (options.includes("-XX:+StartAttachListener")) return;
    if (await ignoresSigquit(pid, this.procRoot)) {
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
        `process ${pid} runs with -Xrs and has no attach listener open: jcmd's SIGQUIT could terminate it; start ` +
          `the JVM with -XX:+StartAttachListener`,
      );
    }
  }
}
