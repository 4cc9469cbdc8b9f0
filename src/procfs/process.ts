import { readFileSync, readdirSync } from "node:fs";

// /proc files are generated in memory by the kernel: a synchronous read takes microseconds, while an async one
// costs a thread-pool round trip each. With many targets the scrape is several times faster this way.
const readFile = async (file: string, _enc: "utf8"): Promise<string> => readFileSync(file, "utf8");
const readdir = async (dir: string): Promise<string[]> => readdirSync(dir);
import { parseStat, type ProcStat } from "./stat.js";
import { parseStatus, parseSmapsRollupPss, type ProcMemory } from "./status.js";

/** A process as seen once: the pid and start time together are its identity, since pids are reused. */
export interface ProcessIdentity {
  pid: number;
  startTime: number;
}

export function sameProcess(a: ProcessIdentity | undefined, b: ProcessIdentity | undefined): boolean {
  return !!a && !!b && a.pid === b.pid && a.startTime === b.startTime;
}

export class ProcFs {
  constructor(readonly root = "/proc") {}

  async stat(pid: number): Promise<ProcStat> {
    return parseStat(await readFile(`${this.root}/${pid}/stat`, "utf8"));
  }

  async memory(pid: number): Promise<ProcMemory> {
    return parseStatus(await readFile(`${this.root}/${pid}/status`, "utf8"));
  }

  async pss(pid: number): Promise<number | undefined> {
    return parseSmapsRollupPss(await readFile(`${this.root}/${pid}/smaps_rollup`, "utf8"));
  }

  async oomScore(pid: number): Promise<number> {
    return Number((await readFile(`${this.root}/${pid}/oom_score`, "utf8")).trim());
  }

  /** The command line with NUL separators turned into spaces ("" for kernel threads and zombies). */
  async cmdline(pid: number): Promise<string> {
    const raw = await readFile(`${this.root}/${pid}/cmdline`, "utf8");
    return raw.replace(/\0+$/, "").replaceAll("\0", " ");
  }

  async cgroupFile(pid: number): Promise<string> {
    return readFile(`${this.root}/${pid}/cgroup`, "utf8");
  }

  async pids(): Promise<number[]> {
    const names = await readdir(this.root);
    const out: number[] = [];
    for (const n of names) if (/^\d+$/.test(n)) out.push(Number(n));
    return out;
  }

  /** The identity of a live process, or undefined when it is gone (or a zombie, which holds no memory). */
  async identity(pid: number): Promise<ProcessIdentity | undefined> {
    try {
      const s = await this.stat(pid);
      if (s.state === "Z" || s.state === "X") return undefined;
      return { pid, startTime: s.startTime };
    } catch {
      return undefined;
    }
  }
}
