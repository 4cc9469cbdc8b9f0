// /proc/PID/stat. The comm field (2nd) is in parentheses and may itself contain spaces and parentheses,
// so the fields are read after the LAST ')' (proc(5)).

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** The kernel's per-task flags (PF_*): see PF_EXITING. */
  flags: number;
  /** User and system CPU time, in clock ticks. */
  utime: number;
  stime: number;
  /** Start time after boot, in clock ticks: with the pid, the identity of a process (pids are reused). */
  startTime: number;
  vsize: number;
  rssPages: number;
}

/**
 * Set from the moment a process starts to exit (SIGKILL included) until it is a zombie. Its sockets close in that
 * window, so a reader that sees a stream end can ask whether the writer is going away without racing the kernel.
 */
export const PF_EXITING = 0x4;

export function parseStat(text: string): ProcStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) throw new Error("malformed /proc/PID/stat: no (comm)");
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // Fields after comm start at field 3 (state); index 0 here is field 3.
  const f = text
    .slice(close + 2)
    .trim()
    .split(" ");
  if (f.length < 22) throw new Error(`malformed /proc/PID/stat: ${f.length + 2} fields`);
  const num = (field: number): number => Number(f[field - 3]);
  return {
    pid,
    comm,
    state: f[0]!,
    ppid: num(4),
    flags: num(9),
    utime: num(14),
    stime: num(15),
    startTime: num(22),
    vsize: num(23),
    rssPages: num(24),
  };
}
