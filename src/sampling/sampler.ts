// One memory sampler for all targets (cAdvisor's housekeeping pattern): on one tick it reads each target's processes
// in /proc and its memory cgroup once, keeps the newest sample whole and a series of its main figures, and tells its
// subscribers. /metrics, the live UI, the --dump-at trigger, the headroom guard before a dump and the run report all
// read memory from here; none of them reads /proc or the cgroup for it, and none writes in here.
import type { Logger } from "pino";
import { levelsUpToMount } from "../cgroups/membership.js";
import { readCgroup } from "../cgroups/read.js";
import type { CgroupMemoryStats } from "../cgroups/stats.js";
import type { ProcFs, ProcessIdentity } from "../procfs/process.js";
import type { ProcMemory } from "../procfs/status.js";
import type { Target } from "../targets/target.js";
import { PeakWatch } from "./peak.js";
import { MemorySeries, OLDER_POINTS, type MemorySample } from "./series.js";

export type { MemorySample } from "./series.js";

export type MemoryTotals = Required<Pick<ProcMemory, "rss" | "rssPeak" | "rssAnon" | "rssFile" | "rssShmem" | "virtual" | "swap">>;

/** What the target's processes added up to, over those that could be read. */
export interface ProcessTotals {
  memory: MemoryTotals;
  /** CPU time in clock ticks (/proc/PID/stat utime and stime). */
  utime: number;
  stime: number;
  /** The highest OOM badness score of the processes. */
  oomScore: number;
  /** Each process read, with its own VmRSS. */
  processes: { pid: number; startTime: number; rss: number | undefined }[];
}

/** The process(es) and cgroup a sample was read of: a sample of a target that changed since describes something else. */
export interface SampleSubject {
  up: boolean;
  main: ProcessIdentity | undefined;
  pids: readonly number[];
  cgroupDir: string | undefined;
}

/** Everything one sampling of a target read: its point of the series, and what /metrics and the guard need besides. */
export interface Sample extends MemorySample {
  subject: SampleSubject;
  /** Undefined when the target is down or none of its processes could be read. */
  process: ProcessTotals | undefined;
  /** Process reads that failed other than by the process going away (/metrics reports a partial failure). */
  processErrors: { context: string; err: unknown }[];
  cgroup: CgroupMemoryStats | undefined;
  cgroupError?: unknown;
}

export type SampleListener = (target: Target, sample: Sample) => void;

export interface MemorySamplerOptions {
  targets: () => Target[];
  proc: ProcFs;
  /** Cumulative load requests of a target, when load is known (recorded with each sample). */
  requests?: (target: string) => number | undefined;
  /** PSS (smaps_rollup) is read for /metrics only for processes at most this big; 0 (the default) never. */
  pssMaxRss?: number;
  logger?: Logger;
  /** The tick (default 2 s). */
  intervalMs?: number;
  /** How long the series keeps samples (default 2 h). */
  keepMs?: number;
  /** How long the series keeps every sample (default 10 min); older ones are thinned to one per keepMs / 720, its peak. */
  recentMs?: number;
  clock?: () => number;
}

interface TargetState {
  latest?: Sample;
  /** A read under way, and whom it reads. */
  pending?: { time: number; subject: SampleSubject; read: Promise<Sample> };
  series: MemorySeries;
  /** The samples of the last TREND_WINDOW_MS, whole (with their subject), for trend(). */
  recent: Sample[];
}

/** The cgroup reads of one round or one on-demand request: targets sharing a cgroup read it once. */
type CgroupReads = Map<string, Promise<CgroupMemoryStats>>;

/** trend() keeps this much of the past, and compares samples of the target's current process(es) TREND_MIN_SPAN_MS apart or more. */
export const TREND_WINDOW_MS = 10_000;
export const TREND_MIN_SPAN_MS = 1000;

/** smaps_rollup walks every mapping of the process; PSS moves slowly, so 30 s is fresh. */
const PSS_MAX_AGE_MS = 30_000;

const gone = (err: unknown) => ["ENOENT", "ESRCH"].includes((err as NodeJS.ErrnoException).code ?? "");

export function subjectOf(t: Target): SampleSubject {
  return { up: t.up, main: t.main && { pid: t.main.pid, startTime: t.main.startTime }, pids: [...t.pids], cgroupDir: t.cgroup?.dir };
}

function sameSubject(a: SampleSubject, b: SampleSubject): boolean {
  return (
    a.up === b.up &&
    a.main?.pid === b.main?.pid &&
    a.main?.startTime === b.main?.startTime &&
    a.cgroupDir === b.cgroupDir &&
    a.pids.length === b.pids.length &&
    a.pids.every((p, i) => p === b.pids[i])
  );
}

export class MemorySampler {
  readonly intervalMs: number;
  readonly keepMs: number;
  readonly recentMs: number;
  /** Spacing of the series' points older than recentMs. */
  readonly olderIntervalMs: number;
  private readonly states = new Map<string, TargetState>();
  private readonly listeners = new Set<SampleListener>();
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** pid → last PSS reading. */
  private readonly pssCache = new Map<number, { startTime: number; at: number; value: number | undefined }>();

  constructor(private readonly opts: MemorySamplerOptions) {
    this.intervalMs = opts.intervalMs ?? 2000;
    this.keepMs = opts.keepMs ?? 2 * 3600 * 1000;
    this.recentMs = Math.min(opts.recentMs ?? 10 * 60 * 1000, this.keepMs);
    this.olderIntervalMs = Math.max(this.intervalMs, Math.ceil(this.keepMs / OLDER_POINTS));
    this.clock = opts.clock ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The newest sample of a target. */
  latest(target: string): Sample | undefined {
    return this.states.get(target)?.latest;
  }

  /** The target's series: points with time > since (ms), oldest first; every one of the last recentMs, thinned before. */
  series(target: string, since = 0): MemorySample[] {
    return this.states.get(target)?.series.between(since) ?? [];
  }

  /** Calls `fn` with every new sample, right after it became the latest; returns the unsubscribe. */
  subscribe(fn: SampleListener): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  /** One round now over every target (joining a read under way): a last sample before a report, or a simulated tick. */
  async sample(now = this.clock()): Promise<void> {
    const reads: CgroupReads = new Map();
    await Promise.all(this.opts.targets().map((t) => this.states.get(t.name)?.pending?.read ?? this.read(t, now, reads)));
  }

  /**
   * For consumers that need memory as of now: per target (in order), its latest sample when it is at most maxAgeMs old
   * and still of the target's current process(es) and cgroup, else a read under way that started within maxAgeMs, else
   * a new one. Concurrent callers share the reads.
   */
  fresh(targets: readonly Target[], maxAgeMs: number): Promise<Sample[]> {
    const now = this.clock();
    const reads: CgroupReads = new Map();
    return Promise.all(
      targets.map((t) => {
        const s = this.states.get(t.name);
        const subject = subjectOf(t);
        if (s?.latest && now - s.latest.time <= maxAgeMs && sameSubject(s.latest.subject, subject)) return s.latest;
        if (s?.pending && now - s.pending.time <= maxAgeMs && sameSubject(s.pending.subject, subject)) return s.pending.read;
        return this.read(t, now, reads, subject);
      }),
    );
  }

  /**
   * How fast the target's anonymous memory is rising now: bytes per second between its newest sample and the newest
   * one at least TREND_MIN_SPAN_MS older (negative when it fell), from samples of its current process(es) only; null
   * until two such samples exist (a target just started or just found). The headroom guard projects a target's
   * memory to when its dump will begin with it: a heap still being built grows a lot in seconds.
   */
  trend(t: Target): number | null {
    const subject = subjectOf(t);
    const mine = (this.states.get(t.name)?.recent ?? []).filter((x) => x.process !== undefined && sameSubject(x.subject, subject));
    const newest = mine.at(-1);
    if (newest === undefined) return null;
    const before = [...mine].reverse().find((x) => newest.time - x.time >= TREND_MIN_SPAN_MS);
    if (before === undefined) return null;
    return (newest.process!.memory.rssAnon - before.process!.memory.rssAnon) / ((newest.time - before.time) / 1000);
  }

  /**
   * Starts measuring what a dump costs the target: its main process and cgroup read every 100 ms until the watch is
   * stopped (peak.ts). Undefined when no process is behind the target.
   */
  async watchPeak(t: Target): Promise<PeakWatch | undefined> {
    if (!t.main) return undefined;
    return PeakWatch.start({ proc: this.opts.proc, pid: t.main.pid, cgroup: t.cgroup && { version: t.cgroup.mount.version, dir: t.cgroup.dir } });
  }

  /**
   * The summed PSS of a sample's processes, for /metrics; undefined when any is above pssMaxRss or unreadable. Not
   * part of the tick: reading smaps_rollup stalls the process while it is walked, and only /metrics shows PSS.
   */
  async pss(s: Sample): Promise<number | undefined> {
    const max = this.opts.pssMaxRss ?? 0;
    if (!s.process || max <= 0) return undefined;
    let sum = 0;
    for (const p of s.process.processes) {
      if ((p.rss ?? 0) > max) return undefined;
      const v = await this.cachedPss(p.pid, p.startTime);
      if (v === undefined) return undefined;
      sum += v;
    }
    return sum;
  }

  private async cachedPss(pid: number, startTime: number): Promise<number | undefined> {
    const now = Date.now();
    const hit = this.pssCache.get(pid);
    if (hit && hit.startTime === startTime && now - hit.at < PSS_MAX_AGE_MS) return hit.value;
    const value = await this.opts.proc.pss(pid).catch(() => undefined);
    this.pssCache.set(pid, { startTime, at: now, value });
    if (this.pssCache.size > 4096) for (const [k, v] of this.pssCache) if (now - v.at >= PSS_MAX_AGE_MS) this.pssCache.delete(k);
    return value;
  }

  private tick(): void {
    const now = this.clock();
    const reads: CgroupReads = new Map();
    const due = this.opts.targets().filter((t) => {
      const s = this.states.get(t.name);
      // A slow read (a huge cgroup?) is never overlapped; a target sampled on demand just now waits for the next tick.
      return !s?.pending && !(s?.latest && now - s.latest.time < this.intervalMs / 2);
    });
    void Promise.all(due.map((t) => this.read(t, now, reads))).catch((err: unknown) => this.opts.logger?.warn({ err: String(err) }, "memory sampling failed"));
  }

  private state(name: string): TargetState {
    let s = this.states.get(name);
    if (!s) {
      const series = new MemorySeries({ intervalMs: this.intervalMs, keepMs: this.keepMs, recentMs: this.recentMs, olderIntervalMs: this.olderIntervalMs });
      this.states.set(name, (s = { series, recent: [] }));
    }
    return s;
  }

  /** Starts a read of the target (synchronously registered as under way, so that callers in the same turn join it). */
  private read(t: Target, now: number, reads: CgroupReads, subject = subjectOf(t)): Promise<Sample> {
    const state = this.state(t.name);
    const read = this.readTarget(t, now, reads, subject).then((s) => {
      this.store(t, state, s);
      return s;
    });
    const pending = { time: now, subject, read };
    state.pending = pending;
    const done = () => {
      if (state.pending === pending) state.pending = undefined;
    };
    read.then(done, done);
    return read;
  }

  private store(t: Target, state: TargetState, s: Sample): void {
    // A read that finished after a newer one (an on-demand read overtaking a slow tick) does not replace it.
    if (state.latest && s.time < state.latest.time) return;
    state.latest = s;
    state.series.push(s);
    state.recent.push(s);
    while (state.recent.length > 64 || s.time - state.recent[0]!.time > TREND_WINDOW_MS) state.recent.shift();
    for (const fn of this.listeners) {
      try {
        fn(t, s);
      } catch (err) {
        this.opts.logger?.warn({ target: t.name, err: String(err) }, "memory sample listener failed");
      }
    }
  }

  private async readTarget(t: Target, now: number, reads: CgroupReads, subject: SampleSubject): Promise<Sample> {
    // The cgroup read starts first, in the same turn for every target of the round, so that targets sharing a cgroup
    // (several processes of one container, or everything in the root) find it in `reads`.
    let cgRead: Promise<{ stats?: CgroupMemoryStats; err?: unknown }> | undefined;
    if (t.cgroup) {
      const { mount, dir } = t.cgroup;
      let read = reads.get(dir);
      if (!read) reads.set(dir, (read = readCgroup(mount.version, levelsUpToMount(mount, dir))));
      cgRead = read.then(
        (stats) => ({ stats }),
        (err: unknown) => ({ err }),
      );
    }
    const [proc, cg] = await Promise.all([subject.up ? this.readProcesses(t) : { totals: undefined, errors: [] }, cgRead]);
    if (cg?.err !== undefined && (cg.err as NodeJS.ErrnoException).code !== "ENOENT" && subject.up) {
      this.opts.logger?.debug({ target: t.name, err: String(cg.err) }, "memory sampler: cgroup read failed");
    }
    const stats = cg?.stats;
    return {
      time: now,
      up: subject.up,
      rss: proc.totals ? proc.totals.memory.rss : null,
      usage: stats?.usage ?? null,
      workingSet: stats?.workingSet ?? null,
      limit: stats?.limit ?? null,
      headroom: stats?.headroom ?? null,
      requests: this.opts.requests?.(t.name) ?? null,
      subject,
      process: proc.totals,
      processErrors: proc.errors,
      cgroup: stats,
      ...(cg?.err !== undefined ? { cgroupError: cg.err } : {}),
    };
  }

  private async readProcesses(t: Target): Promise<{ totals: ProcessTotals | undefined; errors: Sample["processErrors"] }> {
    const memory: MemoryTotals = { rss: 0, rssPeak: 0, rssAnon: 0, rssFile: 0, rssShmem: 0, virtual: 0, swap: 0 };
    let utime = 0;
    let stime = 0;
    let oomScore = 0;
    const processes: ProcessTotals["processes"] = [];
    const errors: Sample["processErrors"] = [];
    for (const pid of t.pids) {
      try {
        const [mem, stat, score] = await Promise.all([this.opts.proc.memory(pid), this.opts.proc.stat(pid), this.opts.proc.oomScore(pid)]);
        // A pid reused by another process since discovery is not the target.
        if (t.kind !== "cgroup" && t.main && stat.startTime !== t.main.startTime) continue;
        for (const k of Object.keys(memory) as (keyof MemoryTotals)[]) memory[k] += mem[k] ?? 0;
        utime += stat.utime;
        stime += stat.stime;
        oomScore = Math.max(oomScore, score);
        processes.push({ pid, startTime: stat.startTime, rss: mem.rss });
      } catch (err) {
        // Gone between discovery and now: that is the target going down, not a failure.
        if (!gone(err)) errors.push({ context: `${t.name} pid ${pid}`, err });
      }
    }
    return { totals: processes.length ? { memory, utime, stime, oomScore, processes } : undefined, errors };
  }
}
