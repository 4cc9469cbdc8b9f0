// On start: remove what earlier leakwatch processes with the same --data-dir left behind when they were killed —
// from their state files (ledger.ts): the launched targets they left running (only the very process recorded,
// pid and start time), their memory cgroups, the raw files of the dumps they were in (heap snapshots the targets
// were asked to write included). Then two
// sweeps by name for what no state file lists: raw files named leakwatch-…-<pid>-… and empty cgroups named
// leakwatch-<pid>-… whose leakwatch is gone. A state file of a leakwatch that still runs is left alone, and so is
// one written on another host or in another PID namespace (a data dir shared by containers).
import { lstatSync, readFileSync, readdirSync, rmSync, unlinkSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { CREATED_CGROUP_NAME, createdCgroupParents, removeCreatedCgroup } from "../cgroups/create.js";
import type { CgroupMount } from "../cgroups/mounts.js";
import { STATE_FILE_NAME, type Ledger } from "./ledger.js";
import { stateFileSchema, type Leftover } from "./entries.js";
import { aliveNow, endProcess, selfOwner, settleFile, settleRequested, type Settled } from "./settle.js";

export interface EarlierOptions {
  dataDir: string;
  /** This leakwatch's ledger: what cannot be resolved yet is carried over into it. */
  ledger: Ledger;
  /** The memory cgroup hierarchy, when there is one: leftover cgroups are looked for in it. */
  memoryMount?: CgroupMount;
  log: Logger;
  procRoot?: string;
}

/** What the clean-up did, for the log (and tests). */
export interface EarlierReport {
  /** State files of dead leakwatch processes handled. */
  states: number;
  processesEnded: number;
  cgroupsRemoved: number;
  filesRemoved: number;
  /** Entries that could not be resolved yet, carried over into this leakwatch's state file. */
  carried: number;
}

/** Raw file names from runtime-kit/raw-files.ts: leakwatch-<target pid>-<stamp>-<leakwatch pid>-<random>.<ext>. */
const RAW_NAME = /^leakwatch-\d+-\d{8}T\d{6}-(\d+)-[a-z0-9]*\.[a-z]+$/;

export async function cleanEarlierRuns(opts: EarlierOptions): Promise<EarlierReport> {
  const { ledger, log } = opts;
  const procRoot = opts.procRoot ?? "/proc";
  const me = selfOwner(procRoot);
  const report: EarlierReport = { states: 0, processesEnded: 0, cgroupsRemoved: 0, filesRemoved: 0, carried: 0 };
  let shared = false;
  let names: string[] = [];
  try {
    names = readdirSync(ledger.dir);
  } catch {
    // no state files yet
  }
  for (const n of names.sort()) {
    const m = STATE_FILE_NAME.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    const file = path.join(ledger.dir, n);
    if (m[2] !== undefined) {
      // a write that a kill interrupted
      if (!aliveNow(pid, undefined, procRoot)) rmSync(file, { force: true });
      continue;
    }
    let entries: Leftover[];
    try {
      const state = stateFileSchema.parse(JSON.parse(readFileSync(file, "utf8")));
      const o = state.owner;
      if (o.host !== me.host || o.pidNamespace !== me.pidNamespace) {
        shared = true; // not ours to judge: its processes are not in our view
        continue;
      }
      const sameBoot = o.bootId === me.bootId;
      if (sameBoot && aliveNow(o.pid, o.startTime, procRoot)) continue; // that leakwatch still runs
      // After a reboot its processes and cgroups went with the old boot; its files are still there.
      entries = sameBoot ? state.entries : state.entries.filter((e) => e.kind === "file" || e.kind === "requested");
    } catch (err) {
      log.warn({ file, err: String(err).split("\n")[0] }, "ignoring an unreadable state file");
      continue;
    }
    report.states++;
    for (const e of await settleAll(entries, procRoot, report)) {
      ledger.add(e);
      report.carried++;
    }
    rmSync(file, { force: true });
  }
  if (!shared) report.filesRemoved += sweepRawFiles(opts.dataDir, procRoot);
  if (opts.memoryMount) report.cgroupsRemoved += await sweepCgroups(opts.memoryMount, procRoot, log);
  if (report.states + report.processesEnded + report.cgroupsRemoved + report.filesRemoved > 0) {
    log.info({ ...report }, "removed what earlier leakwatch processes left behind");
  }
  return report;
}

/** Resolves a dead leakwatch's entries: its processes first (they hold cgroups and write snapshots). Returns the unresolved. */
async function settleAll(entries: Leftover[], procRoot: string, report: EarlierReport): Promise<Leftover[]> {
  const order: Leftover["kind"][] = ["process", "cgroup", "requested", "file"];
  const left: Leftover[] = [];
  for (const kind of order) {
    for (const e of entries) {
      if (e.kind !== kind) continue;
      let r: Settled;
      if (e.kind === "process") {
        const wasAlive = aliveNow(e.pid, e.startTime, procRoot);
        r = await endProcess(e, procRoot);
        if (wasAlive && r === "done") report.processesEnded++;
      } else if (e.kind === "cgroup") {
        // A cgroup leakwatch made for its launched target: what still runs in it is that target's.
        const existed = exists(e.dir);
        r = (await removeCreatedCgroup(e.dir, { killMembers: true })) ? "done" : "kept";
        if (existed && r === "done") report.cgroupsRemoved++;
      } else {
        const existed = e.kind === "file" ? exists(e.path) : true;
        r = e.kind === "file" ? settleFile(e) : settleRequested(e, Date.now(), procRoot);
        if (e.kind === "file" && existed && !exists(e.path)) report.filesRemoved++;
      }
      if (r === "kept") left.push(e);
    }
  }
  return left;
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(dir, d.name));
  } catch {
    return [];
  }
}

/** Raw files of dead leakwatch processes in <data-dir>/raw/<target>/ and the runs' raw folders. Returns how many went. */
function sweepRawFiles(dataDir: string, procRoot: string): number {
  const dirs = [...listDirs(path.join(dataDir, "raw")), ...listDirs(path.join(dataDir, "runs")).flatMap((run) => listDirs(path.join(run, "raw")))];
  let removed = 0;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      const m = RAW_NAME.exec(n);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid || aliveNow(pid, undefined, procRoot)) continue;
      try {
        if (!lstatSync(path.join(dir, n)).isFile()) continue;
        unlinkSync(path.join(dir, n));
        removed++;
      } catch {
        // gone meanwhile
      }
    }
  }
  return removed;
}

/** Empty cgroups named leakwatch-<pid>-… whose leakwatch is gone (rmdir refuses any with processes). */
async function sweepCgroups(mount: CgroupMount, procRoot: string, log: Logger): Promise<number> {
  let parents: string[];
  try {
    parents = await createdCgroupParents(mount);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const parent of parents) {
    for (const dir of listDirs(parent)) {
      const m = CREATED_CGROUP_NAME.exec(path.basename(dir));
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid || aliveNow(pid, undefined, procRoot)) continue;
      if (await removeCreatedCgroup(dir, { killMembers: false })) removed++;
      else log.warn({ cgroup: dir }, "a cgroup an earlier leakwatch created still has processes; leaving it");
    }
  }
  return removed;
}
