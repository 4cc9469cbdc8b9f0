// Runs a diagnostic tool (a runtime's own, or a --heap-command) as a killable process group and collects its output.
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

export interface RunToolOptions {
  /** Aborting kills the tool's whole process group (SIGTERM, then SIGKILL after killAfterMs). */
  signal: AbortSignal;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Grace period between SIGTERM and SIGKILL on abort (default 2000 ms). */
  killAfterMs?: number;
  /** Largest stdout/stderr kept, in bytes (default 256 MiB); the tool fails beyond it. */
  maxBuffer?: number;
  /** Called with the tool's pid once it is started (tests use it to check the tool is gone after an abort). */
  onSpawn?: (pid: number) => void;
}

export interface ToolResult {
  exitCode: number | undefined;
  /** Signal that ended the tool, if any. */
  signalName: string | undefined;
  stdout: string;
  stderr: string;
  /** The spawn error code (ENOENT, EACCES, …) when the tool could not be started. */
  spawnError: string | undefined;
  maxBufferExceeded: boolean;
}

/**
 * Runs a tool from an argv array (never a shell string) in its own process group, so that aborting also kills
 * anything the tool started (a shell script's children, createdump, …). Resolves once the tool has exited;
 * throws DumpError("timeout") when the signal was aborted (after killing the group), and never throws otherwise.
 */
export async function runTool(file: string, args: readonly string[], opts: RunToolOptions): Promise<ToolResult> {
  if (opts.signal.aborted) throw abortError();
  installExitHook();
  // Loaded on first use: a daemon watching --pid targets whose sources need no tool never pays for execa.
  const { execa } = await import("execa");
  const child = execa(file, [...args], {
    env: opts.env ?? process.env,
    extendEnv: false,
    cwd: opts.cwd,
    detached: true,
    cleanup: false,
    reject: false,
    stdin: "ignore",
    encoding: "utf8",
    stripFinalNewline: false,
    maxBuffer: opts.maxBuffer ?? 256 * 1024 * 1024,
  });
  const pgid = child.pid;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    aborted = true;
    if (pgid === undefined) return;
    killGroup(pgid, "SIGTERM");
    killTimer = setTimeout(() => killGroup(pgid, "SIGKILL"), opts.killAfterMs ?? 2000);
    killTimer.unref();
  };
  if (pgid !== undefined) {
    liveGroups.add(pgid);
    opts.onSpawn?.(pgid);
  }
  opts.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const r = await child;
    if (aborted || opts.signal.aborted) {
      // The tool is gone; anything left in its group (a grandchild that ignored SIGTERM) goes too.
      if (pgid !== undefined) killGroup(pgid, "SIGKILL");
      throw abortError(file);
    }
    return {
      exitCode: r.exitCode,
      signalName: r.signal,
      stdout: typeof r.stdout === "string" ? r.stdout : "",
      stderr: typeof r.stderr === "string" ? r.stderr : "",
      spawnError: r.failed && r.exitCode === undefined && r.signal === undefined ? (r.code ?? "spawn failed") : undefined,
      maxBufferExceeded: r.isMaxBuffer,
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
