// Removing one recorded leftover, for leakwatch's own stop and for the next start after a leakwatch that died.
// Each function proves the thing is still the one recorded before it touches it: a file by its inode, a file the
// target was asked to write by its name (the target's pid and a sequence number after the ones already there), a
// process by its pid and start time. "kept" means: not resolved yet, keep the record (a file still to come).
import { lstatSync, readdirSync, readFileSync, readlinkSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { parseStat } from "../procfs/stat.js";
import type { LedgerOwner, LeftoverOf } from "./entries.js";

export type Settled = "done" | "kept";

/** A target that was asked for a file but has written none for this long will not write one for that request. */
export const REQUEST_WAIT_MS = 3600_000;

// /proc reads are synchronous here on purpose: they take microseconds, and the process "exit" handler can do
// nothing asynchronous.

/** True while the process runs (not a zombie) and, when given, has this start time. */
export function aliveNow(pid: number, startTime?: number, procRoot = "/proc"): boolean {
  try {
    const s = parseStat(readFileSync(`${procRoot}/${pid}/stat`, "utf8"));
    return s.state !== "Z" && s.state !== "X" && (startTime === undefined || s.startTime === startTime);
  } catch {
    return false;
  }
}

/** The process's start time (clock ticks after boot); undefined when it is gone. */
export function startTimeOf(pid: number, procRoot = "/proc"): number | undefined {
  try {
    return parseStat(readFileSync(`${procRoot}/${pid}/stat`, "utf8")).startTime;
  } catch {
    return undefined;
  }
}

/** The pids of a process in its nested PID namespaces, ours first (NSpid); [pid] when unknown. */
export function namespacePidsNow(pid: number, procRoot = "/proc"): number[] {
  try {
    const m = /^NSpid:\s*(.+)$/m.exec(readFileSync(`${procRoot}/${pid}/status`, "utf8"));
    const pids = (m?.[1] ?? "")
      .trim()
      .split(/\s+/)
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0);
    return pids.length > 0 ? pids : [pid];
  } catch {
    return [pid];
  }
}

/** This leakwatch process, as its state file names it. */
export function selfOwner(procRoot = "/proc"): LedgerOwner {
  const read = (f: () => string): string => {
    try {
      return f().trim();
    } catch {
      return "";
    }
  };
  return {
    pid: process.pid,
    startTime: startTimeOf(process.pid, procRoot) ?? 0,
    bootId: read(() => readFileSync(`${procRoot}/sys/kernel/random/boot_id`, "utf8")),
    host: read(() => hostname()),
    pidNamespace: read(() => readlinkSync(`${procRoot}/self/ns/pid`)),
  };
}

/** Deletes the recorded raw file, if the path still holds it (a regular file, and the same inode when known). */
export function settleFile(e: LeftoverOf<"file">): Settled {
  try {
    const st = lstatSync(e.path);
    if (st.isFile() && (e.ino === undefined || st.ino === e.ino)) unlinkSync(e.path);
  } catch {
    // already gone (disposed, kept by --keep-dumps, or never created)
  }
  return "done";
}

/** At most this many of a process's earlier files are recorded; a request into a directory with more is not recorded. */
export const MAX_BEFORE = 1000;

/** The names that match the pattern with one of the pids (the process's own files); undefined beyond MAX_BEFORE. */
export function filesOf(names: Iterable<string>, pattern: RegExp, pids: readonly number[]): string[] | undefined {
  const out: string[] = [];
  for (const n of names) {
    const m = pattern.exec(n);
    if (m && pids.includes(Number(m[1])) && out.push(n) > MAX_BEFORE) return undefined;
  }
  return out;
}

/**
 * Deletes the file the request caused: the process's new file (not there before, written since the request) with
 * the lowest sequence number — a signal that arrives while one is pending is merged into it, so later files are
 * someone else's. Kept while none has appeared yet and the target still runs (a large heap snapshot takes a while
 * before the runtime creates its file).
 */
export function settleRequested(e: LeftoverOf<"requested">, now = Date.now(), procRoot = "/proc"): Settled {
  let pattern: RegExp;
  try {
    pattern = new RegExp(e.names);
  } catch {
    return "done"; // not a pattern leakwatch wrote: nothing can be proven
  }
  let names: string[] = [];
  try {
    names = readdirSync(e.dir);
  } catch {
    // the directory went away (the target's container): nothing left to find unless the target still runs
  }
  const before = new Set(e.before);
  let pick: string | undefined;
  let pickSeq = Number.POSITIVE_INFINITY;
  for (const n of names) {
    const m = pattern.exec(n);
    if (!m || !e.pids.includes(Number(m[1])) || before.has(n)) continue;
    const seq = Number(m[2]);
    if (seq >= pickSeq) continue;
    try {
      // Written since the request (a second of slack for coarse file-system clocks).
      const st = lstatSync(path.join(e.dir, n));
      if (!st.isFile() || st.mtimeMs < e.requestedAt - 1000) continue;
    } catch {
      continue; // gone meanwhile
    }
    pick = n;
    pickSeq = seq;
  }
  if (pick !== undefined) {
    try {
      unlinkSync(path.join(e.dir, pick));
    } catch {
      // gone meanwhile
    }
    return "done";
  }
  const stillComing = e.startTime !== undefined && aliveNow(e.pids[0]!, e.startTime, procRoot) && now - e.requestedAt < REQUEST_WAIT_MS;
  return stillComing ? "kept" : "done";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() >= end) return false;
    await sleep(50);
  }
}

/**
 * Ends a target an earlier leakwatch launched and left running, as leakwatch's own stop would have: SIGTERM,
 * then SIGKILL after 5 s. Only the very process recorded (pid and start time) is signalled.
 */
export async function endProcess(e: LeftoverOf<"process">, procRoot = "/proc"): Promise<Settled> {
  const gone = () => !aliveNow(e.pid, e.startTime, procRoot);
  if (gone()) return "done";
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    if (gone()) return "done";
    try {
      process.kill(e.pid, signal);
    } catch {
      return gone() ? "done" : "kept";
    }
    if (await until(gone, 5000)) return "done";
  }
  return "kept";
}
