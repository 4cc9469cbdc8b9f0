// A memory cgroup that leakwatch creates for a launched target (--memory-limit): the cgcreate/cgexec and
// `docker run --memory` steps of a soak test, done in-process and undone on exit (or, after a leakwatch that was
// killed, by its watchdog or the next start: src/leftovers/).
import { access, mkdir, readFile, readdir, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CgroupMount } from "./mounts.js";
import { cgroupDir, memoryCgroupPath, parseProcCgroup } from "./membership.js";

export class CgroupPermissionError extends Error {}

export interface CreatedCgroup {
  dir: string;
  /** The file a process writes its pid into to join. */
  procsFile: string;
  remove(): Promise<void>;
}

/** The name of the cgroup made for a launched target: leakwatch's pid keeps it unique and tells later runs whose it was. */
export function createdCgroupName(target: string, pid = process.pid): string {
  return `leakwatch-${pid}-${target}`;
}

/** A name createdCgroupName makes; group 1 is the pid of the leakwatch that made it. */
export const CREATED_CGROUP_NAME = /^leakwatch-(\d+)-./;

export interface CreateOptions {
  /** Called with the directory just before it is made, so that it can be recorded first. */
  beforeCreate?: (dir: string) => void;
  selfCgroupFile?: string;
}

function hint(limit: number): string {
  const mib = Math.ceil(limit / 1024 / 1024);
  return (
    `run leakwatch as root (or with write access to the memory cgroup tree), or start the target under a limit ` +
    `yourself — \`systemd-run --user --scope -p MemoryMax=${mib}M -p MemorySwapMax=0 -- CMD\` or ` +
    `\`docker run --memory=${mib}m --memory-swap=${mib}m …\` — and watch it with --match or --cgroup`
  );
}

/**
 * Creates `<own memory cgroup>/<name>` with the limit. Nesting under leakwatch's own cgroup works on hosts, in
 * containers and in delegated (systemd --user) trees alike, and the limit of any ancestor still applies.
 */
export async function createMemoryCgroup(mount: CgroupMount, name: string, limit: number, opts: CreateOptions = {}): Promise<CreatedCgroup> {
  const own = await ownCgroupDir(mount, opts.selfCgroupFile);
  let parent = own;
  if (mount.version === 2) parent = await v2Parent(mount, parent, limit);
  const dir = path.join(parent, name);
  opts.beforeCreate?.(dir);
  try {
    await mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
      throw new CgroupPermissionError(`cannot create memory cgroup ${dir} (${code}): ${hint(limit)}`);
    }
    if (code !== "EEXIST") throw err;
  }
  const remove = async (): Promise<void> => {
    // The kernel refuses rmdir while tasks are still being torn down; a few short retries cover that.
    for (let i = 0; i < 50; i++) {
      try {
        await rmdir(dir);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return;
        if (code !== "EBUSY" || i === 49) throw err;
        // Whatever still runs in it was started inside it by the launched target (its children): end it too.
        await killMembers(dir);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  try {
    if (mount.version === 1) {
      await writeFile(path.join(dir, "memory.limit_in_bytes"), String(limit));
      // memsw (memory+swap) equal to the limit means no swap, so the limit is hit for real instead of swapping.
      if (await exists(path.join(dir, "memory.memsw.limit_in_bytes"))) {
        await writeFile(path.join(dir, "memory.memsw.limit_in_bytes"), String(limit));
      }
    } else {
      await writeFile(path.join(dir, "memory.max"), String(limit));
      if (await exists(path.join(dir, "memory.swap.max"))) await writeFile(path.join(dir, "memory.swap.max"), "0");
    }
  } catch (err) {
    await remove().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") {
      throw new CgroupPermissionError(`cannot set the limit in ${dir} (${code}): ${hint(limit)}`);
    }
    throw err;
  }
  return { dir, procsFile: path.join(dir, "cgroup.procs"), remove };
}

/**
 * v2's "no internal processes" rule: a cgroup that holds processes cannot enable controllers for children. When
 * leakwatch's own cgroup is such a leaf, the limit cgroup goes beside it instead (in its parent).
 */
async function v2Parent(mount: CgroupMount, own: string, limit: number): Promise<string> {
  const enable = async (dir: string): Promise<boolean> => {
    try {
      const ctl = await readFile(path.join(dir, "cgroup.subtree_control"), "utf8");
      if (!ctl.split(/\s+/).includes("memory")) await writeFile(path.join(dir, "cgroup.subtree_control"), "+memory");
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EACCES" || code === "EPERM") {
        throw new CgroupPermissionError(`cannot enable the memory controller in ${dir} (${code}): ${hint(limit)}`);
      }
      return false;
    }
  };
  if (await enable(own)) return own;
  const up = path.dirname(own);
  if (up.startsWith(mount.mountPoint) && (await enable(up))) return up;
  throw new CgroupPermissionError(`cannot enable the memory controller under ${own}: ${hint(limit)}`);
}

/** leakwatch's own memory cgroup directory. */
async function ownCgroupDir(mount: CgroupMount, selfCgroupFile = "/proc/self/cgroup"): Promise<string> {
  return cgroupDir(mount, memoryCgroupPath(parseProcCgroup(await readFile(selfCgroupFile, "utf8")), mount) ?? "/");
}

/** Where createMemoryCgroup puts its cgroups: in leakwatch's own memory cgroup, on v2 possibly beside it. */
export async function createdCgroupParents(mount: CgroupMount, selfCgroupFile?: string): Promise<string[]> {
  const own = await ownCgroupDir(mount, selfCgroupFile);
  const up = path.dirname(own);
  return mount.version === 2 && up.startsWith(mount.mountPoint) && up !== own ? [own, up] : [own];
}

/** SIGKILL for every process directly in a cgroup leakwatch created (they all descend from its launched target). */
export async function killMembers(dir: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path.join(dir, "cgroup.procs"), "utf8");
  } catch {
    return;
  }
  for (const l of text.split("\n")) {
    const pid = Number(l.trim());
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
}

/**
 * Removes a cgroup an earlier leakwatch created. With `killMembers`, processes still in it are ended first (the
 * cgroup is the proof they were launched by leakwatch); without, only an empty cgroup goes (rmdir refuses others).
 * True once it is gone.
 */
export async function removeCreatedCgroup(dir: string, opts: { killMembers: boolean }): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    try {
      await rmdir(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return true;
      if (!opts.killMembers || code !== "EBUSY") return false;
      await killMembers(dir);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return false;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** Pids in a cgroup and all its descendants (a container's processes may sit in sub-cgroups). */
export async function cgroupPids(dir: string): Promise<number[]> {
  const out: number[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    let text: string;
    try {
      text = await readFile(path.join(d, "cgroup.procs"), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const l of text.split("\n")) if (l.trim()) out.push(Number(l));
    if (depth > 16) return;
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(d, e.name), depth + 1);
    }
  };
  await walk(dir, 0);
  return out;
}
