// Helpers shared by the heap sources: running a diagnostic tool as a killable process group, finding tools,
// following the target's identity across a dump, raw-file permissions, and mapping parser errors.
import { constants as fsConstants } from "node:fs";
import { access, chmod, open, readFile, readlink, stat } from "node:fs/promises";
import { constants as osConstants, homedir } from "node:os";
import path from "node:path";
import { ParseError } from "../runtimes/parsers-index.js";
import { parseStat } from "../procfs/stat.js";
import { parseStatus } from "../procfs/status.js";
import { DumpError } from "../model/dump.js";

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

export function abortError(what?: string): DumpError {
  return new DumpError("timeout", what ? `dump aborted (timeout or shutdown); ${path.basename(what)} was killed` : "dump aborted (timeout or shutdown)");
}

/** Throws the timeout DumpError when the signal is aborted. */
export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError();
}

/** Sleeps, throwing the timeout DumpError when the signal is aborted first. */
export function sleepAbortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortError());
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The first non-blank line of a tool's output, trimmed and capped (for error messages). */
export function firstLine(text: string, max = 300): string {
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/**
 * Finds an executable by name: an absolute or relative path is used as is, otherwise PATH (from env) and then
 * the extra directories are searched. Undefined when not found or not executable.
 */
export async function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env, extraDirs: readonly string[] = []): Promise<string | undefined> {
  if (name.includes("/")) return (await isExecutable(name)) ? name : undefined;
  const dirs = (env.PATH ?? "").split(":").filter((d) => d !== "");
  for (const dir of [...dirs, ...extraDirs]) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The user's home directory as the tools see it (HOME from env, else the OS's). */
export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME && env.HOME !== "" ? env.HOME : homedir();
}

/** Identity of a live process: pid plus start time (pids are reused). Undefined when gone or a zombie. */
export interface TargetIdentity {
  pid: number;
  startTime: number;
}

export async function targetIdentity(pid: number, procRoot = "/proc"): Promise<TargetIdentity | undefined> {
  try {
    const s = parseStat(await readFile(`${procRoot}/${pid}/stat`, "utf8"));
    if (s.state === "Z" || s.state === "X") return undefined;
    return { pid, startTime: s.startTime };
  } catch {
    return undefined;
  }
}

/** True when the process identified at the start of the dump is still the one alive under its pid. */
export async function stillAlive(id: TargetIdentity, procRoot = "/proc"): Promise<boolean> {
  const now = await targetIdentity(id.pid, procRoot);
  return now !== undefined && now.startTime === id.startTime;
}

/** The identity of the target at the start of a dump, or DumpError("target_exited") when it is gone. */
export async function requireTarget(pid: number, procRoot = "/proc"): Promise<TargetIdentity> {
  const id = await targetIdentity(pid, procRoot);
  if (id === undefined) throw new DumpError("target_exited", `process ${pid} is not running`);
  return id;
}

export function targetExited(pid: number, during: string): DumpError {
  return new DumpError("target_exited", `process ${pid} exited during ${during}`);
}

/** The argv of a process from /proc/PID/cmdline; undefined when unreadable or empty (zombie, kernel thread). */
export async function readCmdline(pid: number, procRoot = "/proc"): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`${procRoot}/${pid}/cmdline`, "utf8");
    const argv = raw.replace(/\0+$/, "").split("\0");
    return argv.length === 1 && argv[0] === "" ? undefined : argv;
  } catch {
    return undefined;
  }
}

/** One variable of the environment a process was started with (/proc/PID/environ); undefined when unreadable. */
export async function readEnvironVar(pid: number, name: string, procRoot = "/proc"): Promise<string | undefined> {
  let raw: string;
  try {
    raw = await readFile(`${procRoot}/${pid}/environ`, "utf8");
  } catch {
    return undefined;
  }
  const prefix = `${name}=`;
  for (const entry of raw.split("\0")) if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  return undefined;
}

/** The basename of /proc/PID/exe, or undefined when it cannot be read (other user, gone). */
export async function readExeName(pid: number, procRoot = "/proc"): Promise<string | undefined> {
  try {
    const target = await readlink(`${procRoot}/${pid}/exe`);
    return path.basename(target.replace(/ \(deleted\)$/, ""));
  } catch {
    return undefined;
  }
}

/** The process's memory lines from /proc/PID/status (bytes); {} when unreadable. */
export async function readMemory(pid: number, procRoot = "/proc"): Promise<ReturnType<typeof parseStatus>> {
  try {
    return parseStatus(await readFile(`${procRoot}/${pid}/status`, "utf8"));
  } catch {
    return {};
  }
}

/** Creates an empty file readable by its owner only (0600), failing if it exists. */
export async function createPrivateFile(file: string): Promise<void> {
  try {
    const fh = await open(file, "wx", 0o600);
    await fh.close();
    await chmod(file, 0o600); // in case an odd umask or ACL widened it
  } catch (err) {
    throw new DumpError("io_error", `cannot create ${file}: ${(err as Error).message}`);
  }
}

/** A unique raw-file name in the private directory. */
export function rawFileName(privateDir: string, pid: number, ext: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  return path.join(privateDir, `leakwatch-${pid}-${stamp}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.${ext}`);
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

/**
 * True when the process has a handler installed for the signal (its bit in SigCgt of /proc/PID/status).
 * Sending SIGUSR1/SIGUSR2 to a process without a handler terminates it, even a Node process that asked for
 * the signal but has not finished starting up.
 */
export async function catchesSignal(pid: number, signal: string, procRoot = "/proc"): Promise<boolean> {
  const num = (osConstants.signals as Record<string, number | undefined>)[signal];
  if (num === undefined) return false;
  try {
    const status = await readFile(`${procRoot}/${pid}/status`, "utf8");
    const m = /^SigCgt:\s*([0-9a-fA-F]+)$/m.exec(status);
    return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(num - 1)) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** Measured peak growth of a Node 20 target per object in its heap while a snapshot is taken (814-844 B, rounded up). */
export const V8_SNAPSHOT_BYTES_PER_OBJECT = 1024;
/** Growth allowed for since the previous dump, when the estimate comes from its object count. */
const V8_OBJECT_GROWTH_ALLOWANCE = 1.25;
/** Without a previous dump: peak growth per byte of anonymous memory (measured 4.4x-8.5x; rounded up). */
const V8_SNAPSHOT_RSS_FACTOR = 10;

/**
 * Memory a V8 heap snapshot costs the target. V8 builds the whole snapshot graph in the target's memory, and its
 * size follows the number of objects, not the bytes: measured here, a heap of 445 k small objects (42 MB
 * anonymous) grew the process by 358 MB while snapshotting — far more than the "about twice the heap" often
 * quoted. So: with a previous dump, its object count (plus growth since) × ~1 KiB per object; without one, 10 ×
 * the anonymous resident memory (RssAnon holds the V8 heap, not code or mapped files). Deliberately on the safe
 * side: a skipped dump costs a data point, an OOM kill costs the soak.
 */
export async function v8SnapshotCost(pid: number, rss: number | undefined, procRoot = "/proc", lastObjects?: number): Promise<number> {
  const mem = await readMemory(pid, procRoot);
  const anon = mem.rssAnon ?? rss ?? mem.rss ?? 0;
  if (lastObjects !== undefined && lastObjects > 0) {
    return Math.max(2 * anon, lastObjects * V8_OBJECT_GROWTH_ALLOWANCE * V8_SNAPSHOT_BYTES_PER_OBJECT);
  }
  return V8_SNAPSHOT_RSS_FACTOR * anon;
}
