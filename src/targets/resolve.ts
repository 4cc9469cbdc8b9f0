// Finding the process (or processes) behind a target. Runs on the discovery tick, never on the scrape path:
// scanning /proc for --match costs a read per process.
import path from "node:path";
import { stat } from "node:fs/promises";
import type { ProcFs, ProcessIdentity } from "../procfs/process.js";
import type { CgroupMount } from "../cgroups/mounts.js";
import { cgroupDir, memoryCgroupPath, parseProcCgroup } from "../cgroups/membership.js";
import { cgroupPids } from "../cgroups/create.js";

/** The oldest live process whose command line matches, other than leakwatch itself and its ancestors. */
export async function findByCommandLine(proc: ProcFs, re: RegExp, exclude: Set<number>): Promise<ProcessIdentity | undefined> {
  let best: ProcessIdentity | undefined;
  for (const pid of await proc.pids()) {
    if (exclude.has(pid)) continue;
    let cmd: string;
    try {
      cmd = await proc.cmdline(pid);
    } catch {
      continue; // exited while we looked
    }
    if (!cmd || !re.test(cmd)) continue;
    const id = await proc.identity(pid);
    if (id && (!best || id.startTime < best.startTime || (id.startTime === best.startTime && id.pid < best.pid))) best = id;
  }
  return best;
}

/** leakwatch and the shells/supervisors above it: their command lines often contain the --match pattern itself. */
export async function selfAndAncestors(proc: ProcFs): Promise<Set<number>> {
  const out = new Set<number>([process.pid]);
  let pid = process.ppid;
  for (let i = 0; i < 64 && pid > 1; i++) {
    out.add(pid);
    try {
      pid = (await proc.stat(pid)).ppid;
    } catch {
      break;
    }
  }
  return out;
}

/** The memory cgroup directory of a process, in our view of the mount. */
export async function processCgroupDir(proc: ProcFs, mount: CgroupMount, pid: number): Promise<string | undefined> {
  const cgPath = memoryCgroupPath(parseProcCgroup(await proc.cgroupFile(pid)), mount);
  return cgPath === undefined ? undefined : cgroupDir(mount, cgPath);
}

/**
 * A --cgroup value is either a directory under the mount (/sys/fs/cgroup/memory/docker/ID) or a cgroup path as
 * /proc/PID/cgroup prints it (/docker/ID, /kubepods/…/pod…/…).
 */
export async function resolveCgroupArg(mount: CgroupMount, arg: string): Promise<string> {
  const candidates = arg.startsWith(mount.mountPoint + "/") || arg === mount.mountPoint ? [arg] : [cgroupDir(mount, arg), path.resolve(arg)];
  for (const c of candidates) {
    try {
      if ((await stat(c)).isDirectory()) return c;
    } catch {
      // try the next reading
    }
  }
  throw new Error(`--cgroup ${arg}: no such cgroup under ${mount.mountPoint}`);
}

/** Processes of a cgroup, with the oldest as the main one. */
export async function cgroupProcesses(proc: ProcFs, dir: string): Promise<{ main?: ProcessIdentity; pids: number[] }> {
  const pids: number[] = [];
  let main: ProcessIdentity | undefined;
  for (const pid of await cgroupPids(dir)) {
    const id = await proc.identity(pid);
    if (!id) continue;
    pids.push(pid);
    if (!main || id.startTime < main.startTime) main = id;
  }
  return { main, pids };
}
