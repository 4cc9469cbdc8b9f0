// The target's memory cgroup: usage, working set, the effective limit over all ancestors, headroom and events, from
// the memory sampler's read of it (see SCRAPE_MAX_AGE_MS for how fresh).
import { cgroupPathOf } from "../cgroups/membership.js";
import type { MemorySampler } from "../sampling/sampler.js";
import type { Target } from "../targets/target.js";
import { type Collector, type CollectorDefinition, type Emitter, counter, gauge } from "./collector.js";
import { SCRAPE_MAX_AGE_MS } from "./process-memory.js";

const INFO = gauge("leakwatch_cgroup_info", "The memory cgroup the target is in; always 1.", ["target", "version", "path"]);
const USAGE = gauge("leakwatch_cgroup_memory_usage_bytes", "Memory charged to the cgroup (v2 memory.current, v1 memory.usage_in_bytes).", ["target"]);
const WS = gauge("leakwatch_cgroup_memory_working_set_bytes", "Usage minus inactive file cache, floored at 0 (as cAdvisor's working set).", ["target"]);
const LIMIT = gauge("leakwatch_cgroup_memory_limit_bytes", "Effective memory limit: the lowest over the cgroup and its ancestors; absent when unlimited.", [
  "target",
]);
const HEADROOM = gauge("leakwatch_cgroup_memory_headroom_bytes", "Lowest (limit - usage) over the limited levels of the cgroup and its ancestors.", ["target"]);
const HIGH = gauge("leakwatch_cgroup_memory_high_bytes", "memory.high throttling threshold (v2); absent when unset.", ["target"]);
const SWAP_LIMIT = gauge(
  "leakwatch_cgroup_memory_swap_limit_bytes",
  "Swap the cgroup may use (v2 memory.swap.max, v1 memsw minus limit); absent when unlimited.",
  ["target"],
);
const PEAK = gauge("leakwatch_cgroup_memory_peak_bytes", "Peak usage (v2 memory.peak, v1 memory.max_usage_in_bytes).", ["target"]);
const EVENTS = counter("leakwatch_cgroup_memory_events_total", "Memory events: oom, oom_kill, high, max (v2 memory.events); failcnt, oom_kill (v1).", [
  "target",
  "event",
]);
const PRESSURE = counter("leakwatch_cgroup_memory_pressure_seconds_total", "Time tasks were stalled on memory (PSI), some or full.", ["target", "kind"]);
const STAT = gauge("leakwatch_cgroup_memory_stat_bytes", "Selected memory.stat byte fields (hierarchical totals on v1).", ["target", "stat"]);

export const cgroupMemoryCollector: CollectorDefinition<{ targets: () => Target[]; sampler: MemorySampler }> = {
  name: "cgroup",
  help: "The target's memory cgroup (v1 or v2): usage, working set, the effective limit over all ancestors, headroom, events and pressure.",
  metrics: [INFO, USAGE, WS, LIMIT, HEADROOM, HIGH, SWAP_LIMIT, PEAK, EVENTS, PRESSURE, STAT],
  create: (deps) => new CgroupMemoryCollector(deps.targets, deps.sampler),
};

export class CgroupMemoryCollector implements Collector {
  readonly name = cgroupMemoryCollector.name;
  readonly metrics = cgroupMemoryCollector.metrics;

  constructor(
    private readonly targets: () => Target[],
    private readonly sampler: MemorySampler,
  ) {}

  async collect(out: Emitter): Promise<void> {
    // All targets, as the process collector asks: the two share the reads of this scrape (and targets sharing a
    // cgroup, one read of it).
    const targets = this.targets();
    const samples = await this.sampler.fresh(targets, SCRAPE_MAX_AGE_MS);
    targets.forEach((t, i) => {
      const cg = t.cgroup;
      const sample = samples[i]!;
      if (!cg) return;
      const s = sample.cgroup;
      if (!s) {
        const err = sample.cgroupError;
        if (err === undefined) return; // the target got its cgroup after the read: the next scrape has it
        // A cgroup that vanished with its target is not a failure; anything else (EACCES, garbage) is.
        if ((err as NodeJS.ErrnoException | undefined)?.code === "ENOENT" || (!t.up && /no memory\./.test(String(err)))) return;
        out.fail(err, t.name);
        return;
      }
      const target = t.name;
      out.emit(INFO, { target, version: String(s.version), path: cgroupPathOf(cg.mount, cg.dir) }, 1);
      out.emit(USAGE, { target }, s.usage);
      out.emit(WS, { target }, s.workingSet);
      out.emit(LIMIT, { target }, s.limit);
      out.emit(HEADROOM, { target }, s.headroom);
      out.emit(HIGH, { target }, s.high);
      out.emit(SWAP_LIMIT, { target }, s.swapLimit);
      out.emit(PEAK, { target }, s.peak);
      for (const [event, v] of Object.entries(s.events)) out.emit(EVENTS, { target, event }, v);
      for (const [kind, v] of Object.entries(s.pressure)) out.emit(PRESSURE, { target, kind }, v);
      for (const [stat, v] of Object.entries(s.stat)) out.emit(STAT, { target, stat }, v);
    });
  }
}
