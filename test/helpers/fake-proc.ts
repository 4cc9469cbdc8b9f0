// A fake /proc tree for source unit tests: one directory per pid with the files the sources read.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface FakeProcess {
  pid: number;
  exe?: string;
  argv?: string[];
  environ?: Record<string, string>;
  maps?: string;
  /** Extra /proc/PID/status lines (e.g. "SigIgn:\t0000000000000004"). */
  status?: string[];
  state?: string;
  startTime?: number;
}

export function fakeProc(procs: FakeProcess[]): string {
  const root = mkdtempSync(path.join(tmpdir(), "lw-fakeproc-"));
  for (const p of procs) {
    const dir = path.join(root, String(p.pid));
    mkdirSync(dir);
    if (p.exe) symlinkSync(p.exe, path.join(dir, "exe"));
    writeFileSync(path.join(dir, "cmdline"), p.argv ? `${p.argv.join("\0")}\0` : "");
    writeFileSync(
      path.join(dir, "environ"),
      Object.entries(p.environ ?? {})
        .map(([k, v]) => `${k}=${v}\0`)
        .join(""),
    );
    if (p.maps !== undefined) writeFileSync(path.join(dir, "maps"), p.maps);
    const comm = path.basename(p.argv?.[0] ?? "x");
    const stat = `${p.pid} (${comm}) ${p.state ?? "S"} 1 ${p.pid} ${p.pid} 0 -1 4194304 0 0 0 0 1 1 0 0 20 0 1 0 ${p.startTime ?? 1000} 1000000 100 18446744073709551615`;
    writeFileSync(path.join(dir, "stat"), `${stat}\n`);
    writeFileSync(path.join(dir, "status"), [`Name:\t${comm}`, `Pid:\t${p.pid}`, `NSpid:\t${p.pid}`, ...(p.status ?? [])].join("\n") + "\n");
  }
  return root;
}
