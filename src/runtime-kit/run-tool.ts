// Runs a diagnostic tool (a runtime's own, or a --heap-command) as a killable process group and reads its output,
// bounded: stdout either streams into a parser chunk by chunk or is kept up to a cap, stderr is kept up to a cap,
// and a tool printing without end is killed instead of growing leakwatch's memory.
import { spawn } from "node:child_process";
import { DEFAULT_MAX_DUMP_BYTES } from "../formats/limits.js";
import { LimitError } from "../model/parse-error.js";
import { abortError } from "./abort.js";

/** Process groups of tools still running, killed if leakwatch itself exits while a dump is under way. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** stderr kept: enough for any error message; the rest is read and dropped (it never fails the tool). */
export const MAX_STDERR = 1024 * 1024;
/** stdout kept when it streams into onStdout: enough for the error messages made from it. */
export const STDOUT_HEAD = 64 * 1024;
/**
 * stdout still read after onStdout failed, for the tool to exit by itself (its exit status may explain the bad
 * output better); a tool that goes on printing is killed.
 */
export const DRAIN_AFTER_ERROR = 1024 * 1024;

export interface RunToolOptions {
  /** Aborting kills the tool's whole process group (SIGTERM, then SIGKILL after killAfterMs) and stops reading. */
  signal: AbortSignal;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Grace period between SIGTERM and SIGKILL on abort or on too much output (default 2000 ms). */
  killAfterMs?: number;
  /** Most stdout bytes read (default: --max-dump-bytes' default); beyond it the tool is killed, maxBufferExceeded set. */
  maxStdoutBytes?: number;
  /**
   * Receives stdout chunk by chunk as the tool prints it (a streaming parser), instead of it being kept: memory
   * and event-loop time stay bounded whatever the tool prints. An error thrown stops the calls and is returned as
   * outputError; a LimitError kills the tool at once, any other error after DRAIN_AFTER_ERROR more bytes (so that
   * a tool failing with a message and an exit code still exits by itself).
   */
  onStdout?: (chunk: Buffer) => void;
  /** Called with the tool's pid once it is started (tests use it to check the tool is gone after an abort). */
  onSpawn?: (pid: number) => void;
}

export interface ToolResult {
  exitCode: number | undefined;
  /** Signal that ended the tool, if any. */
  signalName: string | undefined;
  /** All of stdout; with onStdout, only its first STDOUT_HEAD bytes (for error messages). */
  stdout: string;
  /** The first MAX_STDERR bytes of stderr. */
  stderr: string;
  /** The spawn error code (ENOENT, EACCES, …) when the tool could not be started. */
  spawnError: string | undefined;
  /** stdout went over maxStdoutBytes: the tool was killed. */
  maxBufferExceeded: boolean;
  /** What onStdout threw, if it did. */
  outputError?: unknown;
  /** The tool was killed for its output (over maxStdoutBytes, or after outputError): its exit status means nothing. */
  killedForOutput: boolean;
}

/** Keeps the first `max` bytes of a stream's chunks. */
class Head {
  private readonly parts: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  add(chunk: Buffer): void {
    if (this.size >= this.max) return;
    const part = this.size + chunk.length > this.max ? chunk.subarray(0, this.max - this.size) : chunk;
    this.parts.push(part);
    this.size += part.length;
  }
  text(): string {
    return Buffer.concat(this.parts).toString("utf8");
  }
}

/**
 * Runs a tool from an argv array (never a shell string) in its own process group, so that aborting also kills
 * anything the tool started (a shell script's children, createdump, …). Resolves once the tool has exited;
 * throws DumpError("timeout") when the signal was aborted (after killing the group), and never throws otherwise.
 */
export async function runTool(file: string, args: readonly string[], opts: RunToolOptions): Promise<ToolResult> {
  if (opts.signal.aborted) throw abortError();
  installExitHook();
  const maxStdout = opts.maxStdoutBytes ?? DEFAULT_MAX_DUMP_BYTES;
  const child = spawn(file, [...args], {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pgid = child.pid;
  const stdout = new Head(opts.onStdout ? STDOUT_HEAD : maxStdout);
  const stderr = new Head(MAX_STDERR);
  let stdoutBytes = 0;
  let aborted = false;
  let maxBufferExceeded = false;
  let outputError: unknown;
  let sinkStopped = false;
  let drained = 0;
  let killedForOutput = false;
  let killTimer: NodeJS.Timeout | undefined;

  /** Stops reading (the pipes close, a tool still writing gets SIGPIPE) and ends the group: SIGTERM, then SIGKILL. */
  const stop = (): void => {
    child.stdout?.destroy();
    child.stderr?.destroy();
    if (pgid === undefined || killTimer !== undefined) return;
    killGroup(pgid, "SIGTERM");
    killTimer = setTimeout(() => killGroup(pgid, "SIGKILL"), opts.killAfterMs ?? 2000);
    killTimer.unref();
  };
  const killForOutput = (): void => {
    killedForOutput = true;
    stop();
  };
  const onAbort = (): void => {
    aborted = true;
    stop();
  };

  child.stdout?.on("data", (chunk: Buffer) => {
    if (aborted || killedForOutput) return;
    stdoutBytes += chunk.length;
    if (stdoutBytes > maxStdout) {
      maxBufferExceeded = true;
      return killForOutput();
    }
    stdout.add(chunk);
    if (opts.onStdout === undefined) return;
    if (sinkStopped) {
      drained += chunk.length;
      if (drained > DRAIN_AFTER_ERROR) killForOutput();
      return;
    }
    try {
      opts.onStdout(chunk);
    } catch (err) {
      outputError = err;
      sinkStopped = true;
      if (err instanceof LimitError) killForOutput();
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => stderr.add(chunk));
  // A destroyed pipe may still report an error (EPIPE, ECONNRESET): the outcome is decided elsewhere.
  child.stdout?.on("error", () => undefined);
  child.stderr?.on("error", () => undefined);

  if (pgid !== undefined) {
    liveGroups.add(pgid);
    opts.onSpawn?.(pgid);
  }
  opts.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: string }>((resolve) => {
      child.once("error", (err: NodeJS.ErrnoException) => {
        // Only a failure to start has no pid; a later error (a failed kill) leaves "close" to report.
        if (child.pid === undefined) resolve({ code: null, signal: null, spawnError: err.code ?? "spawn failed" });
      });
      child.once("close", (code, signal) => resolve({ code, signal }));
    });
    if (aborted || opts.signal.aborted) {
      // The tool is gone; anything left in its group (a grandchild that ignored SIGTERM) goes too.
      if (pgid !== undefined) killGroup(pgid, "SIGKILL");
      throw abortError(file);
    }
    return {
      exitCode: ended.code ?? undefined,
      signalName: ended.signal ?? undefined,
      stdout: stdout.text(),
      stderr: stderr.text(),
      spawnError: ended.spawnError,
      maxBufferExceeded,
      outputError,
      killedForOutput,
    };
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
    if (killTimer !== undefined) clearTimeout(killTimer);
    if (pgid !== undefined) {
      liveGroups.delete(pgid);
      // A tool that exited normally may leave background children in its group; they are ours to end.
      killGroup(pgid, "SIGKILL");
    }
  }
}

/** The first non-blank line of a tool's output, trimmed and capped (for error messages). */
export function firstLine(text: string, max = 300): string {
  const line =
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? "";
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
