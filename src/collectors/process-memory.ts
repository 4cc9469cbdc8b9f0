// The target's own memory and CPU, read straight from /proc (no ps on the scrape path).
// A cgroup target sums its processes.
import type { ProcFs } from "../procfs/process.js";
import type { ProcMemory } from "../procfs/status.js";
import type { Target } from "../targets/target.js";
import { type Collector, type CollectorDefinition, type Emitter, counter, gauge } from "./collector.js";

const RSS = gauge("leakwatch_target_resident_memory_bytes", "Resident set size (VmRSS) of the target's process(es).", ["target"]);
const RSS_PEAK = gauge("leakwatch_target_resident_memory_peak_bytes", "Peak resident set size (VmHWM) of the target's process(es).", ["target"]);
const RSS_KIND = gauge("leakwatch_target_resident_memory_by_kind_bytes", "Resident memory split into anonymous, file-backed and shared memory.", ["target", "kind"]);
const VIRT = gauge("leakwatch_target_virtual_memory_bytes", "Virtual memory size (VmSize).", ["target"]);
const SWAP = gauge("leakwatch_target_swap_bytes", "Swapped-out anonymous memory (VmSwap).", ["target"]);
const PSS = gauge("leakwatch_target_proportional_memory_bytes", "Proportional set size (smaps_rollup Pss); only read below --pss-max-rss of RSS.", ["target"]);
const CPU = counter("leakwatch_target_cpu_seconds_total", "CPU time consumed by the target's process(es), by mode.", ["target", "mode"]);
const OOM = gauge("leakwatch_target_oom_score", "The kernel's OOM badness score (/proc/PID/oom_score); the highest of a cgroup's processes.", ["target"]);
const PROCS = gauge("leakwatch_target_processes", "Number of processes whose memory is summed for the target.", ["target"]);

const PSS_MAX_AGE_MS = 30_000;

type Sum = Required<Pick<ProcMemory, "rss" | "rssPeak" | "rssAnon" | "rssFile" | "rssShmem" | "virtual" | "swap">>;

export const processMemoryCollector: CollectorDefinition<{ targets: () => Target[]; proc: ProcFs; pssMaxRss: number; clockTicks: number }> = {
  name: "process",
  help: "The target's own memory and CPU, read from /proc/PID/{status,stat,smaps_rollup,oom_score}; a cgroup target sums its processes.",
  metrics: [RSS, RSS_PEAK, RSS_KIND, VIRT, SWAP, PSS, CPU, OOM, PROCS],
  create: (deps) => new ProcessMemoryCollector(deps.targets, deps.proc, { pssMaxRss: deps.pssMaxRss, clockTicks: deps.clockTicks }),
};

export class ProcessMemoryCollector implements Collector {
  readonly name = processMemoryCollector.name;
  readonly metrics = processMemoryCollector.metrics;

  constructor(
    private readonly targets: () => Target[],
    private readonly proc: ProcFs,
    private readonly opts: { pssMaxRss: number; clockTicks: number },
  ) {}

  /** pid → last PSS reading. smaps_rollup walks every mapping of the process; PSS moves slowly, so 30 s is fresh. */
  private readonly pssCache = new Map<number, { startTime: number; at: number; value: number | undefined }>();

  private async cachedPss(pid: number, startTime: number): Promise<number | undefined> {
    const now = Date.now();
    const hit = this.pssCache.get(pid);
    if (hit && hit.startTime === startTime && now - hit.at < PSS_MAX_AGE_MS) return hit.value;
    const value = await this.proc.pss(pid).catch(() => undefined);
    this.pssCache.set(pid, { startTime, at: now, value });
    if (this.pssCache.size > 4096) for (const [k, v] of this.pssCache) if (now - v.at >= PSS_MAX_AGE_MS) this.pssCache.delete(k);
    return value;
  }

  async collect(out: Emitter): Promise<void> {
    await Promise.all(this.targets().filter((t) => t.up).map((t) => this.collectTarget(t, out)));
  }

  private async collectTarget(t: Target, out: Emitter): Promise<void> {
    const sum: Sum = { rss: 0, rssPeak: 0, rssAnon: 0, rssFile: 0, rssShmem: 0, virtual: 0, swap: 0 };
    let user = 0;
    let system = 0;
    let oom: number | undefined;
    let pss: number | undefined = 0;
    let seen = 0;
    for (const pid of t.pids) {
      try {
        const [mem, stat, score] = await Promise.all([this.proc.memory(pid), this.proc.stat(pid), this.proc.oomScore(pid)]);
        // A pid reused by another process since discovery is not the target.
        if (t.kind !== "cgroup" && t.main && stat.startTime !== t.main.startTime) continue;
        for (const k of Object.keys(sum) as (keyof Sum)[]) sum[k] += mem[k] ?? 0;
        user += stat.utime / this.opts.clockTicks;
        system += stat.stime / this.opts.clockTicks;
        oom = Math.max(oom ?? 0, score);
        if (pss !== undefined && this.opts.pssMaxRss > 0 && (mem.rss ?? 0) <= this.opts.pssMaxRss) {
          const p = await this.cachedPss(pid, stat.startTime);
          pss = p === undefined ? undefined : pss + p;
        } else pss = undefined;
        seen++;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // ENOENT/ESRCH: the process exited between discovery and now; that is the target going down, not a failure.
        if (code !== "ENOENT" && code !== "ESRCH") out.fail(err, `${t.name} pid ${pid}`);
      }
    }
    if (seen === 0) return;
    const target = t.name;
    out.emit(RSS, { target }, sum.rss);
    out.emit(RSS_PEAK, { target }, sum.rssPeak);
    out.emit(RSS_KIND, { target, kind: "anon" }, sum.rssAnon);
    out.emit(RSS_KIND, { target, kind: "file" }, sum.rssFile);
    out.emit(RSS_KIND, { target, kind: "shmem" }, sum.rssShmem);
    out.emit(VIRT, { target }, sum.virtual);
    out.emit(SWAP, { target }, sum.swap);
    out.emit(PSS, { target }, pss);
    out.emit(CPU, { target, mode: "user" }, user);
    out.emit(CPU, { target, mode: "system" }, system);
    out.emit(OOM, { target }, oom);
    out.emit(PROCS, { target }, seen);
  }
}
