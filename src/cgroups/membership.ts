// Which memory cgroup a process is in (/proc/PID/cgroup), and where that cgroup's directory is in our view.
import path from "node:path";
import type { CgroupMount } from "./mounts.js";

export interface ProcCgroups {
  /** v1 lines: controller name → cgroup path. */
  v1: Map<string, string>;
  /** The v2 ("0::") path, if any. */
  v2?: string;
}

export function parseProcCgroup(text: string): ProcCgroups {
  const out: ProcCgroups = { v1: new Map() };
  for (const line of text.split("\n")) {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    const id = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const cgPath = line.slice(second + 1);
    if (id === "0" && controllers === "") out.v2 = cgPath;
    else for (const c of controllers.split(",")) if (c) out.v1.set(c, cgPath);
  }
  return out;
}

/** The cgroup path of the process in the given hierarchy, or undefined when it is not listed there. */
export function memoryCgroupPath(cgroups: ProcCgroups, mount: CgroupMount): string | undefined {
  return mount.version === 1 ? cgroups.v1.get("memory") : cgroups.v2;
}

/**
 * Maps a cgroup path (as /proc/PID/cgroup prints it) to a directory under the mount. A container that mounted
 * only its own subtree has mount root "/docker/<id>" (or "/kubepods/…"): strip it. Under a cgroup namespace the
 * process sees "/" for its own cgroup (e.g. "0::/" in a container) and the mount root is "/" too.
 */
export function cgroupDir(mount: CgroupMount, cgPath: string): string {
  let rel = cgPath;
  if (mount.root !== "/" && (cgPath === mount.root || cgPath.startsWith(mount.root + "/"))) {
    rel = cgPath.slice(mount.root.length);
  }
  // Paths outside our view (another namespace) cannot be reached; normalise keeps "/.." from escaping the mount.
  // Trailing slashes go too, so the process's own cgroup in a container ("0::/") is exactly the mount point.
  const clean = path.posix
    .normalize("/" + rel)
    .replace(/^(\/\.\.)+/, "")
    .replace(/\/+$/, "");
  return path.join(mount.mountPoint, clean);
}

/** The cgroup's directory and its ancestors up to the mount point, nearest first. */
export function levelsUpToMount(mount: CgroupMount, dir: string): string[] {
  const levels: string[] = [];
  let d = path.resolve(dir);
  const top = path.resolve(mount.mountPoint);
  for (;;) {
    levels.push(d);
    if (d === top || !d.startsWith(top + "/")) break;
    d = path.dirname(d);
  }
  return levels;
}

/** The cgroup path (relative to the hierarchy, as in /proc/PID/cgroup) for a directory under the mount. */
export function cgroupPathOf(mount: CgroupMount, dir: string): string {
  const rel = path.relative(mount.mountPoint, dir);
  const joined = path.posix.join(mount.root, rel.split(path.sep).join("/"));
  return joined === "" ? "/" : joined;
}
