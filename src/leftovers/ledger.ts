// leakwatch's state file: what it has created or caused that must not outlive it — raw dump files in flight, heap
// snapshots a target was asked to write, launched targets, memory cgroups — each recorded before it comes to
// exist, in <data-dir>/cleanup/<pid>-<n>.json (0600, replaced atomically by rename, removed once empty). leakwatch
// removes these things itself when a dump ends and when it stops (the process "exit" hook included); after a
// leakwatch that was killed, the next start with the same data dir reads its file and removes them (earlier.ts).
import { existsSync, lstatSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { RawRecorder } from "../model/dump.js";
import { makeDirSync } from "../util/fs.js";
import type { LedgerOwner, Leftover } from "./entries.js";
import { aliveNow, filesOf, namespacePidsNow, selfOwner, settleFile, settleRequested, startTimeOf, type Settled } from "./settle.js";

/** The folder of state files under --data-dir. */
export const CLEANUP_DIR = "cleanup";

/** A state file's name: the owner's pid, and a number telling apart the daemons one process runs (tests). */
export const STATE_FILE_NAME = /^(\d+)-\d+\.json(\.tmp)?$/;
let instances = 0;

/** One dump's recorder: settle() once the dump has ended, whatever its outcome. */
export interface DumpScope extends RawRecorder {
  settle(): void;
}

export class Ledger {
  readonly dir: string;
  readonly file: string;
  private readonly entries = new Map<number, Leftover>();
  /** Entries of dumps still running: only their own dump settles them (or the exit hook). */
  private readonly active = new Set<number>();
  private nextId = 1;
  private owner: LedgerOwner | undefined;
  private failing = false;
  private readonly onExit = (): void => this.settleNow();

  constructor(
    readonly dataDir: string,
    private readonly log: Logger,
    private readonly procRoot = "/proc",
  ) {
    this.dir = path.join(dataDir, CLEANUP_DIR);
    this.file = path.join(this.dir, `${process.pid}-${++instances}.json`);
  }

  /** Starts writing the state file, and settles files on any exit the process lives to see. */
  open(): void {
    try {
      makeDirSync(this.dir, 0o700);
      this.owner = selfOwner(this.procRoot);
    } catch (err) {
      this.log.warn(
        { dir: this.dir, err: (err as Error).message },
        "cannot keep a state file: what a killed leakwatch leaves behind will not be cleaned up by the next start",
      );
    }
    process.on("exit", this.onExit);
    this.persist();
  }

  /** Records something about to exist; returns its id for remove(). */
  add(e: Leftover): number {
    const id = this.nextId++;
    this.entries.set(id, e);
    this.persist();
    return id;
  }

  remove(id: number | undefined): void {
    if (id !== undefined && this.entries.delete(id)) this.persist();
  }

  /** What is recorded now (for tests and logs). */
  list(): Leftover[] {
    return [...this.entries.values()];
  }

  /** The recorder for one dump of process pid; a file an earlier dump of it still waits for is looked for first. */
  dumpScope(pid: number): DumpScope {
    let changed = false;
    for (const [id, e] of this.entries) {
      if (e.kind === "requested" && !this.active.has(id) && e.pids[0] === pid && settleRequested(e, Date.now(), this.procRoot) === "done") {
        this.entries.delete(id);
        changed = true;
      }
    }
    if (changed) this.persist();
    const mine = new Set<number>();
    const track = (e: Leftover): number => {
      const id = this.add(e);
      mine.add(id);
      this.active.add(id);
      return id;
    };
    return {
      file: (p) => {
        let ino: number | undefined;
        try {
          ino = lstatSync(p).ino;
        } catch {
          // about to be created
        }
        // The file a request asked for, found: from now on its exact path is what is recorded.
        for (const id of mine) {
          const e = this.entries.get(id);
          if (e?.kind === "requested" && e.dir === path.dirname(p)) {
            this.entries.delete(id);
            this.active.delete(id);
            mine.delete(id);
          }
        }
        track({ kind: "file", path: p, ino });
      },
      requested: (dir, target, names, before) => {
        const pids = namespacePidsNow(target, this.procRoot);
        if (pids[0] !== target) pids.unshift(target);
        const earlier = filesOf(before, names, pids);
        if (earlier === undefined) {
          this.log.warn(
            { dir },
            "too many earlier files of the target to record this request: should leakwatch be killed now, the next start cannot remove its file",
          );
          return () => undefined;
        }
        const id = track({
          kind: "requested",
          dir,
          names: names.source,
          pids,
          startTime: startTimeOf(target, this.procRoot),
          before: earlier,
          requestedAt: Date.now(),
        });
        // The request was not made after all: nothing will come of it.
        return () => {
          mine.delete(id);
          this.active.delete(id);
          this.remove(id);
        };
      },
      settle: () => {
        for (const id of mine) {
          this.active.delete(id);
          const e = this.entries.get(id);
          if (e && this.settleOne(e) === "done") this.entries.delete(id);
        }
        mine.clear();
        this.persist();
      },
    };
  }

  /**
   * Removes every recorded file now; what cannot be resolved yet (a requested file still to come, a launched
   * target, a cgroup) stays in the state file for the next start. Synchronous: it is also the process's exit hook.
   */
  settleNow(): void {
    for (const [id, e] of this.entries) {
      if (this.settleOne(e) === "done") {
        this.entries.delete(id);
        this.active.delete(id);
      }
    }
    this.persist();
  }

  /** Settles what it can and stops watching for the process's exit. */
  close(): void {
    this.settleNow();
    process.off("exit", this.onExit);
  }

  private settleOne(e: Leftover): Settled {
    if (e.kind === "file") return settleFile(e);
    if (e.kind === "requested") return settleRequested(e, Date.now(), this.procRoot);
    // Processes and cgroups are the target manager's (and its watchdogs'): only forget those already gone.
    if (e.kind === "process") return aliveNow(e.pid, e.startTime, this.procRoot) ? "kept" : "done";
    return existsSync(e.dir) ? "kept" : "done";
  }

  private persist(): void {
    if (this.owner === undefined) return;
    try {
      if (this.entries.size === 0) {
        rmSync(this.file, { force: true });
      } else {
        const tmp = `${this.file}.tmp`;
        writeFileSync(tmp, JSON.stringify({ version: 1, owner: this.owner, entries: [...this.entries.values()] }), { mode: 0o600 });
        renameSync(tmp, this.file);
      }
      if (this.failing) this.log.info({ file: this.file }, "state file written again");
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.warn({ file: this.file, err: (err as Error).message }, "cannot write the state file (what leakwatch has in flight)");
      this.failing = true;
    }
  }
}
