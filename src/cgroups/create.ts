// A memory cgroup that leakwatch creates for a launched target (--memory-limit): the cgcreate/cgexec and
// `docker run --memory` steps of a soak test, done in-process and undone on exit.
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
export async function createMemoryCgroup(mount: CgroupMount, name: string, limit: number, selfCgroupFile = "/proc/self/cgroup"): Promise<CreatedCgroup> {
  const own = memoryCgroupPath(parseProcCgroup(await readFile(selfCgroupFile, "utf8")), mount) ?? "/";
  let parent = cgroupDir(mount, own);
  if (mount.version === 2) parent = await v2Parent(mount, parent, limit);
  const dir = path.join(parent, name);
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
