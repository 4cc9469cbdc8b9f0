// The whole /metrics text of the target, process, cgroup and host collectors, run against the fixture /proc
// (test/fixtures/procfs) and cgroup trees (test/fixtures/cgroups), compared with a committed golden file — as
// node_exporter's e2e-output.txt. A renamed metric, a changed label or a changed value fails here.
// Only the per-collector scrape durations are dropped (they differ on every run).
//   UPDATE_GOLDEN=1 npx vitest run test/unit/collectors/golden.test.ts   rewrites the file: review its diff.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { ProcFs } from "../../../src/procfs/process.js";
import { MemorySampler } from "../../../src/sampling/sampler.js";
import { bootTimeSeconds } from "../../../src/procfs/system.js";
import { type CgroupMount, findMemoryMounts } from "../../../src/cgroups/mounts.js";
import { cgroupProcesses, processCgroupDir, resolveCgroupArg } from "../../../src/targets/resolve.js";
import { Target } from "../../../src/targets/target.js";
import type { TargetConfig } from "../../../src/config/schema.js";
import { CollectorRegistry, DURATION } from "../../../src/collectors/registry.js";
import { COLLECTORS } from "../../../src/collectors/index.js";
import { targetCollector } from "../../../src/collectors/target.js";
import { processMemoryCollector } from "../../../src/collectors/process-memory.js";
import { cgroupMemoryCollector } from "../../../src/collectors/cgroup-memory.js";
import { hostCollector } from "../../../src/collectors/host.js";
import { APP_ID, POD_UID, mountinfoFor, scratch } from "../cgroups/fixture.js";
import { labelMismatches, parseExposition } from "../../helpers/metrics.js";

const GOLDEN = fileURLToPath(new URL("../../fixtures/golden/metrics.txt", import.meta.url));
const PROC_ROOT = fileURLToPath(new URL("../../fixtures/procfs/proc", import.meta.url));
const CLOCK_TICKS = 100;
const tmp = scratch("lw-golden-");
afterAll(() => tmp.cleanup());

/** The config fields a Target reads; the rest is the schema's business. */
const config = (c: Partial<TargetConfig>) => ({ restart: false, ...c }) as TargetConfig;

/**
 * Targets as the target manager would leave them after discovery, found with its own helpers:
 *   app     --pid 4242: a Node process in the cgroup v2 tree's system.slice/app.service (limit, memory.high)
 *   pod     --cgroup of a Kubernetes container in the v2 tree (peak, pressure; of its pids only 4242 exists)
 *   pod-v1  the same container in the v1 tree (memsw, failcnt, oom_kill; 4242 and a zombie)
 *   worker  a launched command that was OOM-killed after one restart: down, with its exit status
 */
async function fixtureTargets(proc: ProcFs): Promise<Target[]> {
  const v2 = (await findMemoryMounts(mountinfoFor(tmp.dir, "v2"))).memory!;
  const v1 = (await findMemoryMounts(mountinfoFor(tmp.dir, "v1"))).memory!;
  const boot = bootTimeSeconds(PROC_ROOT);
  const adopt = async (t: Target, pid: number) => {
    const id = (await proc.identity(pid))!;
    t.setMain(id);
    t.startTimeSeconds = boot + id.startTime / CLOCK_TICKS;
    t.command = await proc.cmdline(pid);
  };

  const app = new Target(config({ name: "app", pid: 4242 }));
  await adopt(app, 4242);
  app.pids = [4242];
  app.cgroup = { mount: v2, dir: (await processCgroupDir(proc, v2, 4242))!, owned: false };

  const cgroupTarget = async (name: string, mount: CgroupMount, cgroup: string) => {
    const t = new Target(config({ name, cgroup }));
    t.cgroup = { mount, dir: await resolveCgroupArg(mount, cgroup), owned: true };
    const { main, pids } = await cgroupProcesses(proc, t.cgroup.dir);
    await adopt(t, main!.pid);
    t.pids = pids;
    return t;
  };
  const pod = await cgroupTarget(
    "pod",
    v2,
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replaceAll("-", "_")}.slice/cri-containerd-${APP_ID}.scope`,
  );
  const podV1 = await cgroupTarget("pod-v1", v1, `/kubepods/burstable/pod${POD_UID}/${APP_ID}`);

  const worker = new Target(config({ name: "worker", command: ["node", "worker.js"] }));
  worker.setMain({ pid: 5000, startTime: 100 });
  worker.setMain({ pid: 5001, startTime: 200 });
  worker.setMain(undefined);
  worker.lastExit = { code: null, signal: "SIGKILL", status: 137, at: 0 };
  return [app, pod, podV1, worker];
}

/** The exposition with unfixable values dropped and each family's samples sorted (collectors run concurrently). */
function normalise(text: string): string {
  const out: string[] = [];
  let samples: string[] = [];
  const flush = () => {
    out.push(...samples.sort());
    samples = [];
  };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      if (line.startsWith("# HELP")) flush();
      out.push(line);
    } else if (!line.startsWith(`${DURATION.name}{`)) samples.push(line);
  }
  flush();
  return out.join("\n") + "\n";
}

async function scrape(): Promise<string> {
  const proc = new ProcFs(PROC_ROOT);
  const targets = await fixtureTargets(proc);
  const sampler = new MemorySampler({ targets: () => targets, proc, pssMaxRss: 1024 ** 3 });
  // The heap manager's runtime recognition, as it would have found app's Node.
  const runtime = (target: string) => (target === "app" ? "node" : "unknown");
  const deps = { targets: () => targets, runtime, proc, sampler, clockTicks: CLOCK_TICKS };
  const registry = new CollectorRegistry({ logger: pino({ level: "silent" }) });
  for (const def of [targetCollector, processMemoryCollector, cgroupMemoryCollector, hostCollector]) registry.register(def.create(deps)!);
  return normalise(await registry.scrape());
}

describe("golden /metrics (target, process, cgroup, host collectors on fixture trees)", () => {
  it("the collectors checked here are the ones the daemon registers", () => {
    for (const def of [targetCollector, processMemoryCollector, cgroupMemoryCollector, hostCollector]) expect(COLLECTORS).toContain(def);
  });

  it("matches test/fixtures/golden/metrics.txt", async () => {
    const text = await scrape();
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, text);
    const golden = readFileSync(GOLDEN, "utf8");
    expect(text, "the exposition changed: if on purpose, rerun with UPDATE_GOLDEN=1 and review the diff").toBe(golden);
  });

  it("every sample carries exactly the labels its catalog entry declares, and every collector succeeded", async () => {
    const samples = parseExposition(await scrape());
    expect(samples.length).toBeGreaterThan(50);
    expect(labelMismatches(samples)).toEqual([]);
    expect(samples.filter((s) => s.name === "leakwatch_scrape_collector_success" && s.value !== 1)).toEqual([]);
  });
});
