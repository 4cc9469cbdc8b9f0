// The target's memory cgroup: usage, working set, the effective limit over all ancestors, headroom and events.
import { levelsUpToMount, cgroupPathOf } from "../cgroups/membership.js";
import { readCgroup } from "../cgroups/read.js";
import type { Target } from "../targets/target.js";
import { type Collector, type CollectorDefinition, type Emitter, counter, gauge } from "./collector.js";

const INFO = gauge("leakwatch_cgroup_info", "The memory cgroup the target is in; always 1.", ["target", "version", "path"]);
const USAGE = gauge("leakwatch_cgroup_memory_usage_bytes", "Memory charged to the cgroup (v2 memory.current, v1 memory.usage_in_bytes).", ["target"]);
const WS = gauge("leakwatch_cgroup_memory_working_set_bytes", "Usage minus inactive file cache, floored at 0 (as cAdvisor's working set).", ["target"]);
const LIMIT = gauge("leakwatch_cgroup_memory_limit_bytes", "Effective memory limit: the lowest over the cgroup and its ancestors; absent when unlimited.", ["target"]);
const HEADROOM = gauge("leakwatch_cgroup_memory_headroom_bytes", "Lowest (limit - usage) over the limited levels of the cgroup and its ancestors.", ["target"]);
const HIGH = gauge("leakwatch_cgroup_memory_high_bytes", "memory.high throttling threshold (v2); absent when unset.", ["target"]);
const SWAP_LIMIT = gauge("leakwatch_cgroup_memory_swap_limit_bytes", "Swap the cgroup may use (v2 memory.swap.max, v1 memsw minus limit); absent when unlimited.", ["target"]);
const PEAK = gauge("leakwatch_cgroup_memory_peak_bytes", "Peak usage (v2 memory.peak, v1 memory.max_usage_in_bytes).", ["target"]);
const EVENTS = counter("leakwatch_cgroup_memory_events_total", "Memory events: oom, oom_kill, high, max (v2 memory.events); failcnt, oom_kill (v1).", ["target", "event"]);
const PRESSURE = counter("leakwatch_cgroup_memory_pressure_seconds_total", "Time tasks were stalled on memory (PSI), some or full.", ["target", "kind"]);
const STAT = gauge("leakwatch_cgroup_memory_stat_bytes", "Selected memory.stat byte fields (hierarchical totals on v1).", ["target", "stat"]);

export const cgroupMemoryCollector: CollectorDefinition<{ targets: () => Target[] }> = {
  name: "cgroup",
  help: "The target's memory cgroup (v1 or v2): usage, working set, the effective limit over all ancestors, headroom, events and pressure.",
  metrics: [INFO, USAGE, WS, LIMIT, HEADROOM, HIGH, SWAP_LIMIT, PEAK, EVENTS, PRESSURE, STAT],
  create: (deps) => new CgroupMemoryCollector(deps.targets),
};

export class CgroupMemoryCollector implements Collector {
  readonly name = cgroupMemoryCollector.name;
  readonly metrics = cgroupMemoryCollector.metrics;

  constructor(private readonly targets: () => Target[]) {}

  async collect(out: Emitter): Promise<void> {
    // Targets often share a cgroup (several processes of one container, or everything in the root): read each
    // cgroup once per scrape.
    const reads = new Map<string, ReturnType<typeof readCgroup>>();
    await Promise.all(
      this.targets().map(async (t) => {
        const cg = t.cgroup;
        if (!cg) return;
        try {
          let read = reads.get(cg.dir);
          if (!read) reads.set(cg.dir, (read = readCgroup(cg.mount.version, levelsUpToMount(cg.mount, cg.dir))));
          const s = await read;
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
        } catch (err) {
          // A cgroup that vanished with its target is not a failure; anything else (EACCES, garbage) is.
          if ((err as NodeJS.ErrnoException).code === "ENOENT" || (!t.up && /no memory\./.test(String(err)))) return;
          out.fail(err, t.name);
        }
      }),
    );
  }
}
