// The one /proc layer: every read of a process's /proc files goes through ProcFs, whose root tests point at a
// fixture tree. Readers that answer "unknown" (undefined, [], {}) instead of throwing say so in their comment.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { constants as osConstants } from "node:os";
import path from "node:path";

// /proc files are generated in memory by the kernel: a synchronous read takes microseconds, while an async one
// costs a thread-pool round trip each. With many targets the scrape is several times faster this way.
const readFile = async (file: string, _enc: "utf8"): Promise<string> => readFileSync(file, "utf8");
const readdir = async (dir: string): Promise<string[]> => readdirSync(dir);
import { PF_EXITING, parseStat, type ProcStat } from "./stat.js";
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

  /** The argv of a process; undefined when unreadable or empty (zombie, kernel thread). */
  async argv(pid: number): Promise<string[] | undefined> {
    try {
      const argv = (await readFile(`${this.root}/${pid}/cmdline`, "utf8")).replace(/\0+$/, "").split("\0");
      return argv.length === 1 && argv[0] === "" ? undefined : argv;
    } catch {
      return undefined;
    }
  }

  /** One variable of the environment the process was started with; undefined when unset or unreadable. */
  async environVar(pid: number, name: string): Promise<string | undefined> {
    let raw: string;
    try {
      raw = await readFile(`${this.root}/${pid}/environ`, "utf8");
    } catch {
      return undefined;
    }
    const prefix = `${name}=`;
    for (const entry of raw.split("\0")) if (entry.startsWith(prefix)) return entry.slice(prefix.length);
    return undefined;
  }

  /** The basename of /proc/PID/exe; undefined when it cannot be read (other user, gone). */
  async exeName(pid: number): Promise<string | undefined> {
    try {
      return path.basename(readlinkSync(`${this.root}/${pid}/exe`).replace(/ \(deleted\)$/, ""));
    } catch {
      return undefined;
    }
  }

  /** /proc/PID/maps as text (throws when unreadable: another user's process without ptrace access, or gone). */
  async maps(pid: number): Promise<string> {
    return readFile(`${this.root}/${pid}/maps`, "utf8");
  }

  /** /proc/PID/status as text (throws when unreadable). */
  async statusText(pid: number): Promise<string> {
    return readFile(`${this.root}/${pid}/status`, "utf8");
  }

  /** The memory lines of /proc/PID/status; {} when unreadable. */
  async memoryOrEmpty(pid: number): Promise<ProcMemory> {
    try {
      return await this.memory(pid);
    } catch {
      return {};
    }
  }

  /**
   * True when the process has a handler installed for the signal ("SigCgt") or ignores it ("SigIgn"), from the
   * bit masks of /proc/PID/status; false when unreadable. Sending SIGUSR1/SIGUSR2/SIGQUIT to a process that has no
   * handler for it terminates the process.
   */
  async signalMask(pid: number, signal: string, mask: "SigCgt" | "SigIgn"): Promise<boolean> {
    const num = (osConstants.signals as Record<string, number | undefined>)[signal];
    if (num === undefined) return false;
    try {
      const m = new RegExp(`^${mask}:\\s*([0-9a-fA-F]+)$`, "m").exec(await this.statusText(pid));
      return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(num - 1)) & 1n) === 1n;
    } catch {
      return false;
    }
  }

  /** The pids a process has in nested PID namespaces (NSpid line of /proc/PID/status, innermost last); [] when unreadable. */
  async namespacePids(pid: number): Promise<number[]> {
    try {
      const m = /^NSpid:\s*(.+)$/m.exec(await this.statusText(pid));
      if (m === null) return [];
      return m[1]!
        .trim()
        .split(/\s+/)
        .map(Number)
        .filter((n) => Number.isInteger(n) && n > 0);
    } catch {
      return [];
    }
  }

  /** The process's working directory (throws when unreadable). */
  async cwd(pid: number): Promise<string> {
    return readlinkSync(`${this.root}/${pid}/cwd`);
  }

  /** A path as the process sees it in its own mount namespace, reached from ours through /proc/PID/root. */
  viaRoot(pid: number, p: string): string {
    return path.join(`${this.root}/${pid}/root`, p);
  }

  /** The process's open file descriptor numbers (throws when unreadable). */
  async fds(pid: number): Promise<string[]> {
    return readdir(`${this.root}/${pid}/fd`);
  }

  /** The path of one file descriptor, to stat or readlink it. */
  fdPath(pid: number, fd: string): string {
    return `${this.root}/${pid}/fd/${fd}`;
  }

  /** /proc/PID/net/<table> (tcp, tcp6) as the process's network namespace sees it (throws when unreadable). */
  async netTable(pid: number, table: string): Promise<string> {
    return readFile(`${this.root}/${pid}/net/${table}`, "utf8");
  }

  /** True when the process identified earlier is still the one alive under its pid. */
  async stillAlive(id: ProcessIdentity): Promise<boolean> {
    return sameProcess(await this.identity(id.pid), id);
  }

  /** /proc/meminfo as text (host memory; sync read, see the top of this file). */
  meminfoText(): string {
    return readFileSync(`${this.root}/meminfo`, "utf8");
  }

  /** /proc/loadavg as text (what os.loadavg() reads on Linux). */
  loadavgText(): string {
    return readFileSync(`${this.root}/loadavg`, "utf8");
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
      // An exiting process (PF_EXITING) is gone for every caller: its sockets may already be closed.
      if (s.state === "Z" || s.state === "X" || (s.flags & PF_EXITING) !== 0) return undefined;
      return { pid, startTime: s.startTime };
    } catch {
      return undefined;
    }
  }
}
