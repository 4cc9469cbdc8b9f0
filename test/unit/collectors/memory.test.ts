// The process and cgroup collectors on a fixture /proc and cgroup tree, through the memory sampler: what a scrape
// exposes, that it is current (a sample older than SCRAPE_MAX_AGE_MS is read anew), and that one scrape reads each
// target once for both collectors.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CgroupMemoryCollector } from "../../../src/collectors/cgroup-memory.js";
import type { Emitter, Labels, MetricDesc } from "../../../src/collectors/collector.js";
import { ProcessMemoryCollector, SCRAPE_MAX_AGE_MS } from "../../../src/collectors/process-memory.js";
import { cgroupDir } from "../../../src/cgroups/membership.js";
import type { CgroupMount } from "../../../src/cgroups/mounts.js";
import type { TargetConfig } from "../../../src/config/schema.js";
import { ProcFs } from "../../../src/procfs/process.js";
import { MemorySampler } from "../../../src/sampling/sampler.js";
import { Target } from "../../../src/targets/target.js";
import { MiB, fixtureDir } from "../cgroups/fixture.js";

const PROC_ROOT = fileURLToPath(new URL("../../fixtures/procfs/proc", import.meta.url));
const V2: CgroupMount = { version: 2, mountPoint: fixtureDir("v2", "cgroup"), root: "/" };
const KiB = 1024;

/** Samples and partial failures of one scrape. */
class Scrape implements Emitter {
  readonly rows: { name: string; labels: Labels; value: number }[] = [];
  readonly failures: string[] = [];
  emit(desc: MetricDesc, labels: Labels, value: number | undefined): void {
    if (value !== undefined && Number.isFinite(value)) this.rows.push({ name: desc.name, labels, value });
  }
  fail(err: unknown, context?: string): void {
    this.failures.push(`${context}: ${String(err)}`);
  }
  get(name: string, labels: Labels = {}): number | undefined {
    return this.rows.find((r) => r.name === name && Object.entries(labels).every(([k, v]) => r.labels[k] === v))?.value;
  }
}

/** A ProcFs on the fixture tree that counts status reads. */
class CountingProcFs extends ProcFs {
  statusReads = 0;
  override async memory(pid: number) {
    this.statusReads++;
    return super.memory(pid);
  }
}

function setup() {
  const app = new Target({ name: "app", pid: 4242 } as TargetConfig);
  app.main = { pid: 4242, startTime: 889412 };
  app.pids = [4242];
  app.cgroup = { mount: V2, dir: cgroupDir(V2, "/system.slice/app.service"), owned: false };
  const down = new Target({ name: "down", cgroup: "/x" } as TargetConfig);
  down.cgroup = { mount: V2, dir: cgroupDir(V2, "/kubepods.slice"), owned: true };
  const targets = () => [app, down];
  const proc = new CountingProcFs(PROC_ROOT);
  const clock = { now: 5_000_000 };
  const sampler = new MemorySampler({ targets, proc, pssMaxRss: 1024 * MiB, clock: () => clock.now });
  const collectors = [new ProcessMemoryCollector(targets, sampler, { clockTicks: 100 }), new CgroupMemoryCollector(targets, sampler)];
  /** Both collectors at once, as the registry runs them. */
  const scrape = async () => {
    const out = new Scrape();
    await Promise.all(collectors.map((c) => c.collect(out)));
    return out;
  };
  return { app, down, proc, clock, sampler, scrape };
}

describe("memory collectors over the sampler", () => {
  it("expose the fixture's process and cgroup figures under the same names and labels", async () => {
    const { scrape } = setup();
    const s = await scrape();
    expect(s.failures).toEqual([]);
    const target = "app";
    expect(s.get("leakwatch_target_resident_memory_bytes", { target })).toBe(204936 * KiB);
    expect(s.get("leakwatch_target_resident_memory_peak_bytes", { target })).toBe(230400 * KiB);
    expect(s.get("leakwatch_target_resident_memory_by_kind_bytes", { target, kind: "anon" })).toBe(160000 * KiB);
    expect(s.get("leakwatch_target_resident_memory_by_kind_bytes", { target, kind: "shmem" })).toBe(936 * KiB);
    expect(s.get("leakwatch_target_virtual_memory_bytes", { target })).toBe(1117064 * KiB);
    expect(s.get("leakwatch_target_proportional_memory_bytes", { target })).toBe(190123 * KiB);
    expect(s.get("leakwatch_target_cpu_seconds_total", { target, mode: "user" })).toBe(15.2);
    expect(s.get("leakwatch_target_cpu_seconds_total", { target, mode: "system" })).toBe(3.05);
    expect(s.get("leakwatch_target_oom_score", { target })).toBe(666);
    expect(s.get("leakwatch_target_processes", { target })).toBe(1);
    expect(s.rows.find((r) => r.name === "leakwatch_cgroup_info" && r.labels.target === "app")?.labels).toEqual({
      target,
      version: "2",
      path: "/system.slice/app.service",
    });
    expect(s.get("leakwatch_cgroup_memory_usage_bytes", { target })).toBe(300 * MiB);
    expect(s.get("leakwatch_cgroup_memory_working_set_bytes", { target })).toBe(240 * MiB);
    expect(s.get("leakwatch_cgroup_memory_limit_bytes", { target })).toBe(512 * MiB);
    expect(s.get("leakwatch_cgroup_memory_headroom_bytes", { target })).toBe(212 * MiB);
    expect(s.get("leakwatch_cgroup_memory_high_bytes", { target })).toBe(384 * MiB);
    expect(s.get("leakwatch_cgroup_memory_events_total", { target, event: "high" })).toBe(12);
    // A target that is down has no process series, but its cgroup is still read.
    expect(s.rows.filter((r) => r.labels.target === "down" && r.name.startsWith("leakwatch_target_"))).toEqual([]);
    expect(s.get("leakwatch_cgroup_memory_usage_bytes", { target: "down" })).toBeGreaterThan(0);
  });

  it(`read once per scrape for both collectors, and anew once the latest sample is older than ${SCRAPE_MAX_AGE_MS} ms`, async () => {
    const { proc, clock, sampler, scrape } = setup();
    await sampler.sample(); // the tick
    expect(proc.statusReads).toBe(1);
    clock.now += SCRAPE_MAX_AGE_MS;
    await scrape(); // the tick's sample is current enough
    expect(proc.statusReads).toBe(1);
    clock.now += 1;
    const s = await scrape();
    expect(proc.statusReads).toBe(2); // one read, shared by the two collectors
    expect(s.get("leakwatch_target_resident_memory_bytes", { target: "app" })).toBe(204936 * KiB);
    expect(sampler.latest("app")?.time).toBe(clock.now);
  });

  it("reads anew when the target changed since the latest sample, however young", async () => {
    const { app, proc, sampler, scrape } = setup();
    await sampler.sample();
    app.main = { pid: 4242, startTime: 1 }; // the pid is another process now
    const s = await scrape();
    expect(proc.statusReads).toBe(2);
    expect(s.get("leakwatch_target_resident_memory_bytes", { target: "app" })).toBeUndefined();
  });

  it("report a cgroup read failure, except for a cgroup without memory files whose target is down", async () => {
    const { app, down, scrape } = setup();
    down.cgroup = { mount: V2, dir: cgroupDir(V2, "/system.slice/nomem.service"), owned: true };
    expect((await scrape()).failures).toEqual([]);
    app.cgroup = { mount: V2, dir: cgroupDir(V2, "/system.slice/nomem.service"), owned: false };
    const s = await scrape();
    expect(s.failures).toEqual([expect.stringMatching(/^app: .*no memory\.current/)]);
    expect(s.get("leakwatch_target_resident_memory_bytes", { target: "app" })).toBe(204936 * KiB); // the rest stays
  });
});
