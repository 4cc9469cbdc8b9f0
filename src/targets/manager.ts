// Keeps each target's view current: which process is behind it, which memory cgroup it is in, whether it is
// up. Discovery runs on a timer; the scrape path only re-checks that known processes are still alive.
import { access, constants as fsc } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { ProcFs, sameProcess } from "../procfs/process.js";
import { findMemoryMounts, type MemoryCgroupMounts } from "../cgroups/mounts.js";
import { createMemoryCgroup, createdCgroupName, type CreatedCgroup } from "../cgroups/create.js";
import type { Ledger } from "../leftovers/ledger.js";
import { bootTimeSeconds, clockTicksPerSecond } from "../procfs/system.js";
import { Target, type ExitInfo } from "./target.js";
import { cgroupProcesses, findByCommandLine, processCgroupDir, resolveCgroupArg, selfAndAncestors } from "./resolve.js";
import { JOIN_AND_EXEC, Launched } from "./launcher.js";
import { Watchdog } from "./watchdog.js";

/** Bad input found while starting (no such pid, command not found, no cgroup permission): exit 2 with it. */
export class TargetError extends Error {}

export interface TargetManagerOptions {
  config: Config;
  logger: Logger;
  proc?: ProcFs;
  /** Called once when every launched target has finished (after --linger); the daemon then exits with status. */
  onAllExited?: (status: number) => void;
  /** Extra environment for a launched target (e.g. NODE_OPTIONS that let a heap source snapshot it). */
  launchEnv?: (t: Target) => NodeJS.ProcessEnv | undefined;
  /** Records launched targets and created cgroups, so that the next start can end and remove them should leakwatch be killed. */
  ledger?: Ledger;
}

export class TargetManager {
  readonly targets: Target[];
  readonly proc: ProcFs;
  private readonly log: Logger;
  private mounts: MemoryCgroupMounts = {};
  private timer: NodeJS.Timeout | undefined;
  private exclude = new Set<number>();
  private readonly launched = new Map<Target, Launched>();
  private readonly created = new Map<Target, CreatedCgroup>();
  /** Ledger ids: each created cgroup's, and each launched target's while it runs. */
  private readonly cgroupRecords = new Map<Target, number>();
  private readonly processRecords = new Map<Target, number>();
  private readonly watchdogs = new Map<Target, Watchdog>();
  private stopping = false;
  private bootTime = 0;
  private ticks = 100;

  constructor(private readonly opts: TargetManagerOptions) {
    this.targets = opts.config.targets.map((t) => new Target(t));
    this.proc = opts.proc ?? new ProcFs();
    this.log = opts.logger;
  }

  get cgroupMounts(): MemoryCgroupMounts {
    return this.mounts;
  }

  /** Validates the targets against the system and launches commands. Throws TargetError on bad input. */
  async start(): Promise<void> {
    this.mounts = await findMemoryMounts().catch(() => ({}));
    this.bootTime = bootTimeSeconds(this.proc.root);
    this.ticks = clockTicksPerSecond();
    this.exclude = await selfAndAncestors(this.proc);
    for (const t of this.targets) {
      if (t.kind === "pid") {
        const id = await this.proc.identity(t.config.pid!);
        if (!id) throw new TargetError(`--pid ${t.config.pid}: no such process`);
        await this.adopt(t, id);
      } else if (t.kind === "cgroup") {
        if (!this.mounts.memory) throw new TargetError(`--cgroup ${t.config.cgroup}: no memory cgroup hierarchy is mounted here`);
        let dir: string;
        try {
          dir = await resolveCgroupArg(this.mounts.memory, t.config.cgroup!);
        } catch (err) {
          throw new TargetError((err as Error).message);
        }
        t.cgroup = { mount: this.mounts.memory, dir, owned: true };
      } else if (t.kind === "command") {
        await this.checkExecutable(t.config.command![0]!);
        if (t.config.memoryLimit !== undefined) {
          if (!this.mounts.memory) {
            throw new TargetError("--memory-limit: no memory cgroup hierarchy is mounted here (v1 memory or v2 with the memory controller)");
          }
          const ledger = this.opts.ledger;
          let cg: CreatedCgroup;
          try {
            cg = await createMemoryCgroup(this.mounts.memory, createdCgroupName(t.name), t.config.memoryLimit, {
              beforeCreate: ledger ? (dir) => this.cgroupRecords.set(t, ledger.add({ kind: "cgroup", dir })) : undefined,
            });
          } catch (err) {
            // createMemoryCgroup removed what it had made
            ledger?.remove(this.cgroupRecords.get(t));
            this.cgroupRecords.delete(t);
            throw new TargetError(`--memory-limit: ${(err as Error).message}`);
          }
          this.created.set(t, cg);
          t.cgroup = { mount: this.mounts.memory, dir: cg.dir, owned: true };
          this.log.info({ target: t.name, cgroup: cg.dir, limit: t.config.memoryLimit }, "created memory cgroup");
        }
        await this.launch(t);
      }
    }
    await this.discover();
    const every = this.opts.config.discoveryInterval * 1000;
    this.timer = setInterval(() => {
      this.discover().catch((err: unknown) => this.log.warn({ err: String(err) }, "discovery failed"));
    }, every);
    this.timer.unref();
  }

  private async checkExecutable(file: string): Promise<void> {
    const dirs = file.includes("/") ? [""] : (process.env.PATH ?? "").split(":").filter(Boolean);
    for (const d of dirs) {
      try {
        await access(d ? path.join(d, file) : file, fsc.X_OK);
        return;
      } catch {
        // keep looking
      }
    }
    throw new TargetError(`command not found or not executable: ${file}`);
  }

  private async launch(t: Target): Promise<void> {
    const cg = this.created.get(t);
    const env = this.opts.launchEnv?.(t);
    // Started before the target, so that it watches from the first moment (the cgroup at once, the target once armed).
    let dog = this.watchdogs.get(t);
    if (!dog) {
      dog = new Watchdog(cg?.dir, this.log);
      this.watchdogs.set(t, dog);
    }
    const child = await Launched.start({ command: t.config.command!, procsFile: cg?.procsFile, logger: this.log, env });
    this.launched.set(t, child);
    const startedAt = Date.now();
    if (child.pid > 0) {
      // The start time does not change when the cgroup-joining shell execs the command: this is the target's identity.
      const first = await this.proc.identity(child.pid);
      if (first) {
        dog.arm(first);
        if (this.opts.ledger) this.processRecords.set(t, this.opts.ledger.add({ kind: "process", pid: first.pid, startTime: first.startTime }));
      }
      if (cg) await this.untilExeced(child.pid);
      const id = await this.proc.identity(child.pid);
      if (id) await this.adopt(t, id);
      this.log.info({ target: t.name, pid: child.pid, command: t.config.command }, "launched target");
    }
    void child.exited.then((exit) => this.onExit(t, exit, Date.now() - startedAt));
  }

  /**
   * Until the cgroup-joining shell has exec'd the command, /proc shows the shell: runtime detection and the
   * command label must wait for the real program (a few milliseconds; at most 2 s).
   */
  private async untilExeced(pid: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const cmd = await this.proc.cmdline(pid).catch(() => "");
      if (!cmd.includes(JOIN_AND_EXEC)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private backoff = new Map<Target, number>();

  private async onExit(t: Target, exit: ExitInfo, ranMs: number): Promise<void> {
    this.watchdogs.get(t)?.disarm();
    this.opts.ledger?.remove(this.processRecords.get(t));
    this.processRecords.delete(t);
    t.lastExit = exit;
    t.setMain(undefined);
    t.pids = [];
    const oomKilled = exit.signal === "SIGKILL";
    this.log.warn({ target: t.name, code: exit.code, signal: exit.signal, oomKillSuspected: oomKilled }, "target exited");
    if (t.config.restart && !this.stopping) {
      // Crash loops back off (1 s doubling to 30 s); a run of a minute or more resets the delay.
      const prev = ranMs >= 60_000 ? 0 : (this.backoff.get(t) ?? 0);
      const delay = Math.min(30_000, prev === 0 ? 1000 : prev * 2);
      this.backoff.set(t, delay);
      setTimeout(() => {
        if (!this.stopping) void this.launch(t).catch((err: unknown) => this.log.error({ err: String(err) }, "relaunch failed"));
      }, delay).unref();
      return;
    }
    const running = [...this.launched.entries()].filter(([x]) => x.main !== undefined || (x.config.restart && !this.stopping));
    if (running.length > 0) return;
    // Every launched target is done: linger so Prometheus scrapes the final state (an OOM kill included).
    const lingerMs = this.stopping ? 0 : this.opts.config.linger * 1000;
    if (lingerMs > 0) this.log.info({ seconds: this.opts.config.linger }, "target finished; serving final metrics before exiting");
    setTimeout(() => this.opts.onAllExited?.(exit.status), lingerMs).unref();
  }

  /** Forwards a termination signal to launched targets; leakwatch exits once they are gone, without lingering. */
  forward(signal: NodeJS.Signals): boolean {
    this.stopping = true;
    let any = false;
    for (const [t, child] of this.launched) {
      if (t.main) {
        child.kill(signal);
        any = true;
      }
    }
    return any;
  }

  get hasLaunched(): boolean {
    return this.launched.size > 0;
  }

  private async adopt(t: Target, id: { pid: number; startTime: number }): Promise<void> {
    if (t.setMain(id)) {
      t.startTimeSeconds = this.bootTime + id.startTime / this.ticks;
      t.command = await this.proc.cmdline(id.pid).catch(() => "");
      if (t.restarts > 0) this.log.info({ target: t.name, pid: id.pid, restarts: t.restarts }, "target is back");
    }
    if (t.kind !== "cgroup") t.pids = [id.pid];
    if (t.kind !== "cgroup" && !this.created.has(t) && this.mounts.memory) {
      const dir = await processCgroupDir(this.proc, this.mounts.memory, id.pid).catch(() => undefined);
      if (dir) t.cgroup = { mount: this.mounts.memory, dir, owned: false };
    }
  }

  /** Re-resolves every target: followers of --match and --cgroup find their process again after a restart. */
  async discover(): Promise<void> {
    for (const t of this.targets) {
      if (t.kind === "match") {
        const alive = t.main && sameProcess(t.main, await this.proc.identity(t.main.pid));
        const id = alive ? t.main : await findByCommandLine(this.proc, t.config.match!, this.exclude);
        if (id) await this.adopt(t, id);
        else this.markDown(t);
      } else if (t.kind === "cgroup") {
        const { main, pids } = await cgroupProcesses(this.proc, t.cgroup!.dir).catch(() => ({ main: undefined, pids: [] }));
        if (main) {
          await this.adopt(t, main);
          t.pids = pids;
        } else this.markDown(t);
      } else if (t.main) {
        // pid and command targets: just confirm the process is the same one (and refresh its cgroup).
        const id = await this.proc.identity(t.main.pid);
        if (sameProcess(t.main, id)) await this.adopt(t, id!);
        else if (t.kind === "pid") this.markDown(t);
      }
    }
  }

  /** On the scrape path: cheap liveness re-check of known processes (one stat read each). */
  async verify(): Promise<void> {
    await Promise.all(
      this.targets.map(async (t) => {
        if (!t.main || t.kind === "command") return;
        if (!sameProcess(t.main, await this.proc.identity(t.main.pid))) {
          if (t.kind === "cgroup") await this.discover();
          else this.markDown(t);
        }
      }),
    );
  }

  private markDown(t: Target): void {
    if (t.main) this.log.warn({ target: t.name, pid: t.main.pid }, "target is gone");
    t.setMain(undefined);
    t.pids = [];
    if (t.cgroup && !t.cgroup.owned) t.cgroup = undefined;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    for (const [t, child] of this.launched) {
      if (t.main) {
        child.kill("SIGTERM");
        const done = await Promise.race([child.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
        if (!done) child.kill("SIGKILL");
        await child.exited;
      }
    }
    for (const [t, cg] of this.created) {
      try {
        await cg.remove();
        this.opts.ledger?.remove(this.cgroupRecords.get(t));
      } catch (err) {
        // stays in the state file: the next start removes it
        this.log.warn({ target: t.name, err: String(err) }, "could not remove cgroup");
      }
    }
    this.created.clear();
    for (const dog of this.watchdogs.values()) dog.done();
    this.watchdogs.clear();
  }
}
