// Recognising a runtime from /proc: the executable's name, the shared libraries mapped into the process, and
// argv[0]. Each runtime folder declares its RuntimeSignature; this file only runs the rules, so a source can
// check its own runtime (a safety check: the JVM's attach tool sends SIGQUIT and Node's opt-in signals are
// SIGUSR1/SIGUSR2, all of which kill a process that does not handle them) without knowing the others. The registry
// (src/runtimes/index.ts) runs them over every runtime.
import path from "node:path";
import type { ProcFs } from "../procfs/process.js";

export interface RuntimeSignature {
  /** Basenames of the executable (or of argv[0]) that identify the runtime. */
  exe: RegExp;
  /** Basename of a shared library whose mapping identifies it (also a self-contained app with its own exe name). */
  library: RegExp;
  /** A library that other runtimes' hosts may also load: a match counts only when no other runtime's does. */
  weakLibrary?: boolean;
}

export interface NamedSignature {
  name: string;
  signature: RuntimeSignature;
}

/** The basenames of the files mapped in /proc/PID/maps text. */
function mappedBasenames(maps: string): string[] {
  const out: string[] = [];
  for (const line of maps.split("\n")) {
    const slash = line.indexOf("/");
    if (slash >= 0) out.push(path.basename(line.slice(slash).replace(/ \(deleted\)$/, "")));
  }
  return out;
}

function byName(name: string | undefined, among: readonly NamedSignature[]): string | undefined {
  return name === undefined ? undefined : among.find((r) => r.signature.exe.test(name))?.name;
}

/** The runtime a set of mapped files reveals; "unknown" when none. */
export function runtimeFromMapsAmong(maps: string, among: readonly NamedSignature[]): string {
  let weak: string | undefined;
  for (const base of mappedBasenames(maps)) {
    for (const r of among) {
      if (!r.signature.library.test(base)) continue;
      if (!r.signature.weakLibrary) return r.name;
      weak ??= r.name;
    }
  }
  return weak ?? "unknown";
}

/**
 * The runtime of a process: /proc/PID/exe's basename first, then the libraries in /proc/PID/maps, then argv[0]
 * from /proc/PID/cmdline (readable even for other users' processes). "unknown" when none fits or it is gone.
 */
export async function detectRuntimeAmong(proc: ProcFs, pid: number, among: readonly NamedSignature[]): Promise<string> {
  const byExe = byName(await proc.exeName(pid), among);
  if (byExe !== undefined) return byExe;
  try {
    const byMaps = runtimeFromMapsAmong(await proc.maps(pid), among);
    if (byMaps !== "unknown") return byMaps;
  } catch {
    // Other user's process without ptrace access, or gone: fall back to the command line.
  }
  const argv0 = (await proc.argv(pid))?.[0];
  return byName(argv0 !== undefined ? path.basename(argv0) : undefined, among) ?? "unknown";
}

/**
 * Whether a process runs this one runtime: true or false when /proc tells, undefined when it cannot (maps
 * unreadable and neither the executable nor argv[0] names the runtime).
 */
export async function isRuntime(proc: ProcFs, pid: number, signature: RuntimeSignature): Promise<boolean | undefined> {
  const one = [{ name: "it", signature }];
  if ((await detectRuntimeAmong(proc, pid, one)) === "it") return true;
  try {
    await proc.maps(pid);
    return false;
  } catch {
    return undefined;
  }
}
