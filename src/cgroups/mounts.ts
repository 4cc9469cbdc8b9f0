// Where the memory cgroup hierarchy is mounted, from /proc/self/mountinfo (proc(5)): v1 "memory" controller,
// or the v2 unified hierarchy when its memory controller is enabled. Hybrid hosts mount both; memory is then v1.
import { readFile } from "node:fs/promises";
import path from "node:path";

export interface CgroupMount {
  version: 1 | 2;
  /** Where the hierarchy is mounted in leakwatch's view (e.g. /sys/fs/cgroup/memory). */
  mountPoint: string;
  /** The cgroup path of the mount's root within the hierarchy ("/" unless a container mounted a subtree). */
  root: string;
}

interface MountEntry {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** mountinfo escapes spaces and such as octal (\040). */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const right = line.slice(sep + 3).split(" ");
    if (left.length < 5 || right.length < 3) continue;
    out.push({
      root: unescapeOctal(left[3]!),
      mountPoint: unescapeOctal(left[4]!),
      fsType: right[0]!,
      superOptions: right[2]!.split(","),
    });
  }
  return out;
}

export interface MemoryCgroupMounts {
  v1?: CgroupMount;
  v2?: CgroupMount;
  /** The mount to use for memory: v1 when the memory controller is bound to v1, else v2 when it has memory. */
  memory?: CgroupMount;
}

export async function findMemoryMounts(mountinfo = "/proc/self/mountinfo"): Promise<MemoryCgroupMounts> {
  const entries = parseMountinfo(await readFile(mountinfo, "utf8"));
  const out: MemoryCgroupMounts = {};
  for (const e of entries) {
    if (e.fsType === "cgroup" && e.superOptions.includes("memory") && !out.v1) {
      out.v1 = { version: 1, mountPoint: e.mountPoint, root: e.root };
    } else if (e.fsType === "cgroup2" && !out.v2) {
      out.v2 = { version: 2, mountPoint: e.mountPoint, root: e.root };
    }
  }
  if (out.v1) out.memory = out.v1;
  else if (out.v2 && (await v2HasMemory(out.v2.mountPoint))) out.memory = out.v2;
  return out;
}

async function v2HasMemory(mountPoint: string): Promise<boolean> {
  try {
    const controllers = await readFile(path.join(mountPoint, "cgroup.controllers"), "utf8");
    return controllers.split(/\s+/).includes("memory");
  } catch {
    return false;
  }
}
