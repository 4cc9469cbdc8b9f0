// The scheduler's memory side, fed by the memory sampler: --dump-at fires on a sample whose working set reaches the
// fraction of the limit and re-arms 5 points below; the headroom guard before a dump acts only on a current sample.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import type { TargetConfig } from "../../../src/config/schema.js";
import { GUARD_MAX_AGE_MS, HeapScheduler } from "../../../src/heap/scheduler.js";
import type { DumpOutcome } from "../../../src/heap/runner.js";
import type { DumpRequest, HeapState } from "../../../src/heap/state.js";
import type { ProcFs } from "../../../src/procfs/process.js";
import { MemorySampler } from "../../../src/sampling/sampler.js";
import { Target } from "../../../src/targets/target.js";
import { MiB, scratch, writeTree } from "../cgroups/fixture.js";

const logger = pino({ level: "silent" });
const tmp = scratch("lw-sched-mem-");
afterAll(() => tmp.cleanup());
let scheduler: HeapScheduler | undefined;
afterEach(() => scheduler?.stop());

/** Lets everything already queued run (the dump a sample triggers goes through promises only, no I/O). */
const settle = () => new Promise((r) => setImmediate(r));

let n = 0;
function setup(opts: { dumpAt?: number } = {}) {
  // A cgroup v2 directory with a 100 MiB limit whose usage the test sets (no inactive file: working set = usage).
  const dir = writeTree(path.join(tmp.dir, `cg${n++}`), { "memory.max": String(100 * MiB), "memory.current": "0", "memory.stat": "inactive_file 0" });
  const use = (mib: number) => writeFileSync(path.join(dir, "memory.current"), String(mib * MiB));
  const t = new Target({ name: "svc", cgroup: dir } as TargetConfig);
  t.main = { pid: 42, startTime: 1 };
  t.pids = [42, 43];
  t.cgroup = { mount: { version: 2, mountPoint: dir, root: "/" }, dir, owned: true };
  const rss = new Map([
    [42, 30 * MiB],
    [43, 5 * MiB],
  ]);
  const proc = {
    memory: async (pid: number) => ({ rss: rss.get(pid) }),
    stat: async () => ({ utime: 0, stime: 0, startTime: 1 }),
    oomScore: async () => 0,
  } as unknown as ProcFs;
  const clock = { now: 1_000_000 };
  const sampler = new MemorySampler({ targets: () => [t], proc, clock: () => clock.now });
  const dumps: { trigger: string; guard: { headroom?: number; rss?: number }; watchPeak?: DumpRequest["watchPeak"] }[] = [];
  const heap = {
    target: t,
    busy: false,
    dump: async (trigger: string, { headroom, rss, watchPeak }: DumpRequest = {}): Promise<DumpOutcome> => {
      dumps.push({ trigger, guard: { headroom, rss }, watchPeak });
      return { result: "success" };
    },
  } as unknown as HeapState;
  scheduler = new HeapScheduler(heap, { jitter: 0, pollSeconds: 1, dumpAt: opts.dumpAt }, sampler, logger);
  scheduler.start();
  /** One tick of the sampler at the given usage, and whatever it triggered. */
  const tick = async (mib: number) => {
    use(mib);
    clock.now += 2000;
    await sampler.sample();
    await settle();
  };
  return { t, use, clock, sampler, dumps, tick, scheduler, rss };
}

describe("--dump-at from the sampler's samples", () => {
  it("fires when working set / limit reaches dumpAt, once, and re-arms only 5 points below", async () => {
    const { dumps, tick } = setup({ dumpAt: 0.8 });
    await tick(40);
    expect(dumps).toEqual([]);
    await tick(80); // reached
    expect(dumps.map((d) => d.trigger)).toEqual(["memory_threshold"]);
    // The guard acted on the sample that fired the trigger: 20 MiB left, the main process's own RSS.
    expect(dumps[0]!.guard).toEqual({ headroom: 20 * MiB, rss: 30 * MiB });
    await tick(90);
    await tick(76); // not 5 points below
    await tick(85);
    expect(dumps).toHaveLength(1);
    await tick(74); // re-armed
    expect(dumps).toHaveLength(1);
    await tick(81);
    expect(dumps.map((d) => d.trigger)).toEqual(["memory_threshold", "memory_threshold"]);
  });

  it("does nothing without a limit, for a target that is down, or after stop()", async () => {
    const { dumps, tick, t, sampler, scheduler: s } = setup({ dumpAt: 0.5 });
    writeFileSync(path.join(t.cgroup!.dir, "memory.max"), "max");
    await tick(90);
    expect(dumps).toEqual([]);
    writeFileSync(path.join(t.cgroup!.dir, "memory.max"), String(100 * MiB));
    const main = t.main;
    t.main = undefined;
    await tick(90);
    expect(dumps).toEqual([]);
    t.main = main;
    s.stop();
    await tick(95);
    expect(dumps).toEqual([]);
    expect(sampler.latest("svc")?.workingSet).toBe(95 * MiB); // the sampler went on: only the scheduler stopped
  });
});

describe("the headroom guard before a dump", () => {
  it(`acts on the latest sample up to ${GUARD_MAX_AGE_MS} ms old, and on a sample taken now after that`, async () => {
    const { dumps, tick, use, clock, sampler, scheduler: s } = setup();
    await tick(50);
    const sampledAt = clock.now;
    use(90); // the target grows after the tick
    clock.now = sampledAt + GUARD_MAX_AGE_MS;
    await s.dumpNow("test");
    expect(dumps.at(-1)!.guard.headroom).toBe(50 * MiB);
    expect(sampler.series("svc")).toHaveLength(1); // no read
    clock.now = sampledAt + GUARD_MAX_AGE_MS + 1;
    await s.dumpNow("test");
    expect(dumps.at(-1)!.guard.headroom).toBe(10 * MiB); // read now: what is left now
    expect(sampler.series("svc").map((x) => x.time)).toEqual([sampledAt, clock.now]);
  });

  it("never takes a sample of the process that was there before a restart", async () => {
    const { dumps, tick, t, rss, use, scheduler: s } = setup();
    await tick(50);
    t.main = { pid: 43, startTime: 1 };
    rss.set(43, 7 * MiB);
    await s.dumpNow("test"); // same instant as the tick, but the tick read pid 42 as the main process
    expect(dumps.at(-1)!.guard).toEqual({ headroom: 50 * MiB, rss: 7 * MiB });
    // The dump's cost is measured on the process behind the target now (7 → 9 MiB), and on its cgroup (50 → 60 MiB).
    const watch = (await dumps.at(-1)!.watchPeak!())!;
    rss.set(43, 9 * MiB);
    use(60);
    expect(await watch.stop()).toMatchObject({ growth: 10 * MiB });
  });
});
