// Which managed runtime a process runs, from /proc: the executable's name, the command line, and the shared
// libraries mapped into it. Re-exported by src/heap/runtime.ts; here so the sources can use it without a cycle.
// The sources use it as a safety check too: jcmd sends SIGQUIT and Node's opt-in signals are SIGUSR1/SIGUSR2,
// all of which kill a process that does not handle them.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { readCmdline, readExeName } from "../sourcekit/run-tool.js";

export type Runtime = "jvm" | "node" | "dotnet" | "unknown";

const NODE_EXE = /^(?:node|nodejs)(?:[-_.]?v?\d+(?:\.\d+)*)?$/;
const JAVA_EXE = /^java(?:\d+)?$/;
const DOTNET_EXE = /^dotnet$/;

function fromName(name: string | undefined): Runtime {
  if (name === undefined) return "unknown";
  if (JAVA_EXE.test(name)) return "jvm";
  if (NODE_EXE.test(name)) return "node";
  if (DOTNET_EXE.test(name)) return "dotnet";
  return "unknown";
}

/** The runtime a set of mapped files reveals (libjvm.so, libcoreclr.so, libnode.so). */
export function runtimeFromMaps(maps: string): Runtime {
  let node = false;
  for (const line of maps.split("\n")) {
    const slash = line.indexOf("/");
    if (slash < 0) continue;
    const base = path.basename(line.slice(slash).replace(/ \(deleted\)$/, ""));
    if (base === "libjvm.so") return "jvm";
    if (base === "libcoreclr.so") return "dotnet";
    if (/^libnode\.so(?:\.\d+)*$/.test(base)) node = true;
  }
  return node ? "node" : "unknown";
}

/**
 * Detects the runtime of a process: /proc/PID/exe's basename first (java, node, dotnet), then the libraries in
 * /proc/PID/maps (libjvm.so, libcoreclr.so — also a self-contained .NET app with its own executable name —,
 * libnode.so), then argv[0] from /proc/PID/cmdline (readable even for other users' processes).
 * "unknown" when none fits or the process is gone.
 */
export async function detectRuntime(pid: number, procRoot = "/proc"): Promise<Runtime> {
  const byExe = fromName(await readExeName(pid, procRoot));
  if (byExe !== "unknown") return byExe;
  try {
    const byMaps = runtimeFromMaps(await readFile(`${procRoot}/${pid}/maps`, "utf8"));
    if (byMaps !== "unknown") return byMaps;
  } catch {
    // Other user's process without ptrace access, or gone: fall back to the command line.
  }
  const argv = await readCmdline(pid, procRoot);
  return fromName(argv?.[0] !== undefined ? path.basename(argv[0]) : undefined);
}
