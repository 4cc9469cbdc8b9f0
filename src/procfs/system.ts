import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

let clockTicks: number | undefined;

/** sysconf(_SC_CLK_TCK): Node has no sysconf binding, so ask getconf once; 100 is the value on every Linux ABI. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 2000 }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Boot time in Unix seconds ("btime" in /proc/stat). */
export function bootTimeSeconds(procRoot = "/proc"): number {
  const m = /^btime\s+(\d+)/m.exec(readFileSync(`${procRoot}/stat`, "utf8"));
  if (!m) throw new Error(`no btime in ${procRoot}/stat`);
  return Number(m[1]);
}
