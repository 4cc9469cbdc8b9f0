// The target's own memory and CPU, from the memory sampler (which reads /proc; no ps on the scrape path).
// A cgroup target sums its processes.
import type { MemorySampler, Sample } from "../sampling/sampler.js";
import type { Target } from "../targets/target.js";
import { type Collector, type CollectorDefinition, type Emitter, counter, gauge } from "./collector.js";

const RSS = gauge("leakwatch_target_resident_memory_bytes", "Resident set size (VmRSS) of the target's process(es).", ["target"]);
const RSS_PEAK = gauge("leakwatch_target_resident_memory_peak_bytes", "Peak resident set size (VmHWM) of the target's process(es).", ["target"]);
const RSS_KIND = gauge("leakwatch_target_resident_memory_by_kind_bytes", "Resident memory split into anonymous, file-backed and shared memory.", [
  "target",
  "kind",
]);
const VIRT = gauge("leakwatch_target_virtual_memory_bytes", "Virtual memory size (VmSize).", ["target"]);
const SWAP = gauge("leakwatch_target_swap_bytes", "Swapped-out anonymous memory (VmSwap).", ["target"]);
const PSS = gauge("leakwatch_target_proportional_memory_bytes", "Proportional set size (smaps_rollup Pss); only read below --pss-max-rss of RSS.", ["target"]);
const CPU = counter("leakwatch_target_cpu_seconds_total", "CPU time consumed by the target's process(es), by mode.", ["target", "mode"]);
const OOM = gauge("leakwatch_target_oom_score", "The kernel's OOM badness score (/proc/PID/oom_score); the highest of a cgroup's processes.", ["target"]);
const PROCS = gauge("leakwatch_target_processes", "Number of processes whose memory is summed for the target.", ["target"]);

/**
 * How old a sample a scrape may expose. Prometheus stamps what it scrapes with the scrape's time, so the values must
 * be of that moment, not of the sampler's last 2 s tick: a scrape takes the tick's sample when it is at most half a
 * second old (as good as "now" at the precision of a scrape, which itself takes milliseconds per target and lands
 * anywhere in Prometheus' interval) and otherwise reads anew, as every scrape did before the sampler; both memory
 * collectors ask for the same targets in the same turn, so they share that one read. A scrape thus never does more
 * /proc and cgroup reads than it did, and a tick's sample saves some.
 */
export const SCRAPE_MAX_AGE_MS = 500;

export const processMemoryCollector: CollectorDefinition<{ targets: () => Target[]; sampler: MemorySampler; clockTicks: number }> = {
  name: "process",
  help: "The target's own memory and CPU, read from /proc/PID/{status,stat,smaps_rollup,oom_score}; a cgroup target sums its processes.",
  metrics: [RSS, RSS_PEAK, RSS_KIND, VIRT, SWAP, PSS, CPU, OOM, PROCS],
  create: (deps) => new ProcessMemoryCollector(deps.targets, deps.sampler, { clockTicks: deps.clockTicks }),
};

export class ProcessMemoryCollector implements Collector {
  readonly name = processMemoryCollector.name;
  readonly metrics = processMemoryCollector.metrics;

  constructor(
    private readonly targets: () => Target[],
    private readonly sampler: MemorySampler,
    private readonly opts: { clockTicks: number },
  ) {}

  async collect(out: Emitter): Promise<void> {
    // All targets, as the cgroup collector asks: the two share the reads of this scrape.
    const targets = this.targets();
    const samples = await this.sampler.fresh(targets, SCRAPE_MAX_AGE_MS);
    await Promise.all(targets.map((t, i) => (t.up ? this.collectTarget(t, samples[i]!, out) : undefined)));
  }

  private async collectTarget(t: Target, s: Sample, out: Emitter): Promise<void> {
    for (const { err, context } of s.processErrors) out.fail(err, context);
    const p = s.process;
    if (!p) return;
    const sum = p.memory;
    const pss = await this.sampler.pss(s);
    const target = t.name;
    out.emit(RSS, { target }, sum.rss);
    out.emit(RSS_PEAK, { target }, sum.rssPeak);
    out.emit(RSS_KIND, { target, kind: "anon" }, sum.rssAnon);
    out.emit(RSS_KIND, { target, kind: "file" }, sum.rssFile);
    out.emit(RSS_KIND, { target, kind: "shmem" }, sum.rssShmem);
    out.emit(VIRT, { target }, sum.virtual);
    out.emit(SWAP, { target }, sum.swap);
    out.emit(PSS, { target }, pss);
    out.emit(CPU, { target, mode: "user" }, p.utime / this.opts.clockTicks);
    out.emit(CPU, { target, mode: "system" }, p.stime / this.opts.clockTicks);
    out.emit(OOM, { target }, p.oomScore);
    out.emit(PROCS, { target }, p.processes.length);
  }
}
