// The memory sampler: one read of /proc and the cgroup per target and tick, the series it keeps, the latest sample,
// its subscribers, and fresh samples for consumers that need memory as of now (a scrape, the headroom guard).
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { cgroupDir } from "../../../src/cgroups/membership.js";
import type { CgroupMount } from "../../../src/cgroups/mounts.js";
import type { TargetConfig } from "../../../src/config/schema.js";
import { ProcFs } from "../../../src/procfs/process.js";
import { MemorySampler, type Sample } from "../../../src/sampling/sampler.js";
import { Target } from "../../../src/targets/target.js";
import { MiB, fixtureDir, scratch, writeTree } from "../cgroups/fixture.js";

const PROC_ROOT = fileURLToPath(new URL("../../fixtures/procfs/proc", import.meta.url));
const V2: CgroupMount = { version: 2, mountPoint: fixtureDir("v2", "cgroup"), root: "/" };
const tmp = scratch("lw-sampler-");
afterAll(() => tmp.cleanup());

interface FakeProcess {
  rss: number;
  startTime?: number;
  /** A read error code: ENOENT/ESRCH is the process gone, anything else a failure. */
  fail?: string;
}

/** A /proc of made-up processes that counts its status reads. */
function fakeProc(procs: Map<number, FakeProcess>) {
  const reads = { status: 0 };
  const get = (pid: number) => {
    const p = procs.get(pid);
    if (!p || p.fail) throw Object.assign(new Error(p?.fail ?? "no such process"), { code: p?.fail ?? "ENOENT" });
    return p;
  };
  const proc = {
    memory: async (pid: number) => {
      reads.status++;
      return { rss: get(pid).rss };
    },
    stat: async (pid: number) => ({ utime: 100, stime: 50, startTime: get(pid).startTime ?? 1 }),
    oomScore: async (pid: number) => {
      get(pid);
      return pid;
    },
    pss: async (pid: number) => get(pid).rss / 2,
  } as unknown as ProcFs;
  return { proc, reads };
}

function target(name: string, pid: number, pids = [pid], kind: "pid" | "cgroup" = "pid"): Target {
  const t = new Target((kind === "pid" ? { name, pid } : { name, cgroup: "/x" }) as TargetConfig);
  t.main = { pid, startTime: 1 };
  t.pids = pids;
  return t;
}

describe("MemorySampler: the series", () => {
  it("samples RSS of the target's processes, bounded to keepMs / intervalMs, and filters by time", async () => {
    const t = target("t", 42, [42, 43]); // 43 has exited: the target going down, not a failure
    const procs = new Map([[42, { rss: 1000 }]]);
    const { proc } = fakeProc(procs);
    let requests: number | undefined;
    const s = new MemorySampler({ targets: () => [t], proc, requests: () => requests, intervalMs: 1000, keepMs: 3000 });
    for (let i = 1; i <= 5; i++) {
      procs.get(42)!.rss += 100;
      if (i === 4) requests = 10;
      await s.sample(i * 1000);
    }
    const all = s.series("t");
    expect(all.map((x) => x.time)).toEqual([3000, 4000, 5000]);
    expect(all.map((x) => x.rss)).toEqual([1300, 1400, 1500]);
    expect(all.map((x) => x.requests)).toEqual([null, 10, 10]);
    expect(all[0]).toEqual({ time: 3000, up: true, rss: 1300, usage: null, workingSet: null, limit: null, headroom: null, requests: null });
    expect(s.series("t", 4000).map((x) => x.time)).toEqual([5000]);
    expect(s.latest("t")).toMatchObject({ time: 5000, rss: 1500, processErrors: [] });
    t.main = undefined;
    await s.sample(6000);
    expect(s.series("t").at(-1)).toMatchObject({ time: 6000, up: false, rss: null });
    expect(s.latest("t")?.process).toBeUndefined();
    expect(s.series("nope")).toEqual([]);
  });

  it("keeps every sample of the last recentMs and thins older ones to keepMs / 720 apart, each the peak of its step", async () => {
    const t = target("t", 42);
    const procs = new Map([[42, { rss: 1 }]]);
    const s = new MemorySampler({ targets: () => [t], proc: fakeProc(procs).proc, intervalMs: 1000, keepMs: 3_600_000, recentMs: 10_000 });
    expect(s.olderIntervalMs).toBe(5000);
    const end = 2 * 3_600_000; // twice keepMs of samples, one a second
    const spikeAt = end - 3_000_000 + 2000; // one sample in the middle of a thinned step
    for (let now = 1000; now <= end; now += 1000) {
      procs.get(42)!.rss = now === spikeAt ? 999 : 1;
      await s.sample(now);
    }
    const times = s.series("t").map((x) => x.time);
    const recent = times.filter((x) => x > end - 10_000);
    const older = times.filter((x) => x <= end - 10_000);
    expect(recent).toEqual(Array.from({ length: 10 }, (_, i) => end - 9000 + i * 1000));
    expect(older[0]).toBeGreaterThanOrEqual(end - 3_600_000);
    expect(older.length).toBeGreaterThan(700);
    expect(older.length).toBeLessThanOrEqual(721);
    for (let i = 1; i < older.length; i++) expect(older[i]! - older[i - 1]!).toBe(5000);
    expect(s.series("t", end - 3000).map((x) => x.time)).toEqual([end - 2000, end - 1000, end]);
    expect(s.latest("t")?.time).toBe(end);
    const spike = s.series("t").filter((x) => x.rss === 999);
    expect(spike).toHaveLength(1);
    expect(spike[0]!.time - spikeAt).toBeGreaterThanOrEqual(0);
    expect(spike[0]!.time - spikeAt).toBeLessThan(5000);
  });
});

describe("MemorySampler: one read of /proc and the cgroup", () => {
  it("reads a fixture /proc and cgroup into one sample: totals for /metrics, the series' figures", async () => {
    const t = target("app", 4242, [4242, 77], "cgroup"); // 77, a kernel thread, has no oom_score: skipped
    t.cgroup = { mount: V2, dir: cgroupDir(V2, "/system.slice/app.service"), owned: false };
    const s = new MemorySampler({ targets: () => [t], proc: new ProcFs(PROC_ROOT), requests: () => 7 });
    await s.sample(1000);
    const x = s.latest("app")!;
    expect(x).toMatchObject({
      time: 1000,
      up: true,
      rss: 204936 * 1024,
      usage: 300 * MiB,
      workingSet: 300 * MiB - 60 * MiB,
      limit: 512 * MiB,
      headroom: 212 * MiB,
      requests: 7,
      subject: { up: true, main: { pid: 4242, startTime: 1 }, pids: [4242, 77], cgroupDir: t.cgroup.dir },
    });
    expect(x.process).toMatchObject({
      memory: { rss: 204936 * 1024, rssPeak: 230400 * 1024, rssAnon: 160000 * 1024, rssFile: 44000 * 1024, rssShmem: 936 * 1024, virtual: 1117064 * 1024 },
      utime: 1520,
      stime: 305,
      oomScore: 666,
      processes: [{ pid: 4242, startTime: 889412, rss: 204936 * 1024 }],
    });
    expect(x.cgroup?.events).toEqual({ high: 12, max: 0, oom: 0, oom_kill: 0 });
    expect(x.processErrors).toEqual([]);
    expect(s.series("app")).toEqual([
      { time: 1000, up: true, rss: x.rss, usage: x.usage, workingSet: x.workingSet, limit: x.limit, headroom: x.headroom, requests: 7 },
    ]);
  });

  it("reads a cgroup shared by several targets once per round", async () => {
    const dir = cgroupDir(V2, "/system.slice/app.service");
    const procs = new Map([
      [1, { rss: 1 }],
      [2, { rss: 2 }],
    ]);
    const a = target("a", 1);
    const b = target("b", 2);
    a.cgroup = { mount: V2, dir, owned: false };
    b.cgroup = { mount: V2, dir, owned: false };
    const s = new MemorySampler({ targets: () => [a, b], proc: fakeProc(procs).proc });
    await s.sample(1000);
    const first = s.latest("a")!.cgroup;
    expect(first?.usage).toBe(300 * MiB);
    expect(s.latest("b")!.cgroup).toBe(first); // the same read
    await s.sample(3000);
    expect(s.latest("a")!.cgroup).not.toBe(first); // a new round, a new read
    expect(s.latest("b")!.cgroup).toBe(s.latest("a")!.cgroup);
  });

  it("does not count a reused pid, and records read failures that are not the process going away", async () => {
    const procs = new Map<number, FakeProcess>([[42, { rss: 5, startTime: 999 }]]);
    const t = target("t", 42); // started at 1: pid 42 is now another process
    const s = new MemorySampler({ targets: () => [t], proc: fakeProc(procs).proc });
    await s.sample(1000);
    expect(s.latest("t")).toMatchObject({ up: true, rss: null, process: undefined, processErrors: [] });
    procs.set(42, { rss: 5, fail: "EACCES" });
    await s.sample(2000);
    expect(s.latest("t")!.processErrors).toEqual([{ context: "t pid 42", err: expect.objectContaining({ code: "EACCES" }) }]);
  });

  it("keeps the cgroup's read error for /metrics, and samples the cgroup of a target that is down", async () => {
    const t = target("t", 42);
    t.cgroup = { mount: V2, dir: cgroupDir(V2, "/system.slice/nomem.service"), owned: false };
    t.main = undefined;
    t.pids = [];
    const s = new MemorySampler({ targets: () => [t], proc: fakeProc(new Map()).proc });
    await s.sample(1000);
    expect(s.latest("t")).toMatchObject({ up: false, rss: null, cgroup: undefined, usage: null });
    expect(String(s.latest("t")!.cgroupError)).toMatch(/no memory\.current/);
  });

  it("sums PSS for /metrics below pssMaxRss only, cached for 30 s by pid and start time", async () => {
    const procs = new Map([
      [1, { rss: 100 }],
      [2, { rss: 300 }],
    ]);
    const { proc } = fakeProc(procs);
    let pssReads = 0;
    const counting = Object.assign(Object.create(proc) as ProcFs, {
      pss: async (pid: number) => {
        pssReads++;
        return proc.pss(pid);
      },
    });
    const t = target("t", 1, [1, 2], "cgroup");
    const s = new MemorySampler({ targets: () => [t], proc: counting, pssMaxRss: 500 });
    await s.sample(1000);
    expect(await s.pss(s.latest("t")!)).toBe(50 + 150);
    expect(await s.pss(s.latest("t")!)).toBe(200);
    expect(pssReads).toBe(2); // cached
    procs.get(2)!.rss = 600; // above pssMaxRss: no PSS for the target
    await s.sample(2000);
    expect(await s.pss(s.latest("t")!)).toBeUndefined();
    const off = new MemorySampler({ targets: () => [t], proc: counting });
    await off.sample(1000);
    expect(await off.pss(off.latest("t")!)).toBeUndefined();
    expect(pssReads).toBe(2);
  });
});

describe("MemorySampler: subscribers and fresh samples", () => {
  it("tells subscribers of each new sample, survives a throwing one, and stops telling after unsubscribe", async () => {
    const t = target("t", 42);
    const s = new MemorySampler({ targets: () => [t], proc: fakeProc(new Map([[42, { rss: 1 }]])).proc });
    const seen: [string, number][] = [];
    const off = s.subscribe((tt, x) => seen.push([tt.name, x.time]));
    s.subscribe(() => {
      throw new Error("a broken consumer");
    });
    await s.sample(1000);
    await s.sample(2000);
    off();
    await s.sample(3000);
    expect(seen).toEqual([
      ["t", 1000],
      ["t", 2000],
    ]);
    expect(s.latest("t")?.time).toBe(3000);
  });

  it("answers fresh() with the latest sample while young and of the same process, and reads anew otherwise", async () => {
    let now = 10_000;
    const t = target("t", 42);
    const procs = new Map([
      [42, { rss: 1 }],
      [43, { rss: 3 }],
    ]);
    const { proc, reads } = fakeProc(procs);
    const s = new MemorySampler({ targets: () => [t], proc, clock: () => now });
    await s.sample();
    const first = s.latest("t")!;
    now += 500;
    expect(await s.fresh([t], 500)).toEqual([first]); // young enough: no read
    expect(reads.status).toBe(1);
    now += 1;
    procs.get(42)!.rss = 2;
    const [second] = await s.fresh([t], 500); // too old: read now
    expect(second).toMatchObject({ time: now, rss: 2 });
    expect(s.latest("t")).toBe(second);
    expect(s.series("t").map((x) => x.rss)).toEqual([1, 2]); // on-demand samples are samples like any other
    // The target restarted as another process: the latest sample, however young, is not of it.
    t.main = { pid: 43, startTime: 1 };
    t.pids = [43];
    expect((await s.fresh([t], 60_000))[0]).toMatchObject({ time: now, rss: 3 });
    expect(reads.status).toBe(3);
  });

  it("shares one read among callers in the same turn (the two memory collectors of a scrape)", async () => {
    let now = 10_000;
    const ts = [target("a", 1), target("b", 2)];
    const { proc, reads } = fakeProc(
      new Map([
        [1, { rss: 1 }],
        [2, { rss: 2 }],
      ]),
    );
    const s = new MemorySampler({ targets: () => ts, proc, clock: () => now });
    const [x, y] = await Promise.all([s.fresh(ts, 500), s.fresh(ts, 500)]);
    expect(reads.status).toBe(2); // one per target
    expect(x[0]).toBe(y[0]);
    expect(x[1]).toBe(y[1]);
    now += 100;
    await s.fresh(ts, 500);
    expect(reads.status).toBe(2);
  });

  it("never lets a slow read that finishes last replace a newer sample", async () => {
    let now = 1000;
    const t = target("t", 42);
    const procs = new Map([[42, { rss: 1 }]]);
    const { proc } = fakeProc(procs);
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    let first = true;
    const gated = Object.assign(Object.create(proc) as ProcFs, {
      memory: async (pid: number) => {
        const m = await proc.memory(pid);
        if (first) {
          first = false;
          await slow;
        }
        return m;
      },
    });
    const s = new MemorySampler({ targets: () => [t], proc: gated, clock: () => now });
    const tick = s.sample(); // at 1000, stuck
    now = 5000;
    procs.get(42)!.rss = 2;
    const [fresh] = await s.fresh([t], 500); // the stuck read is too old to join
    expect(fresh).toMatchObject({ time: 5000, rss: 2 });
    release();
    await tick;
    expect(s.latest("t")).toBe(fresh);
    expect(s.series("t").map((x) => x.time)).toEqual([5000]);
  });
});

describe("MemorySampler: the tick", () => {
  it("samples every target on start and then every intervalMs", async () => {
    const cg = writeTree(`${tmp.dir}/tick`, { "memory.current": "100", "memory.stat": "inactive_file 0" });
    const t = target("t", 42);
    t.cgroup = { mount: { version: 2, mountPoint: cg, root: "/" }, dir: cg, owned: true };
    const s = new MemorySampler({ targets: () => [t], proc: fakeProc(new Map([[42, { rss: 1 }]])).proc, intervalMs: 20 });
    const samples: Sample[] = [];
    s.subscribe((_t, x) => samples.push(x));
    s.start();
    try {
      await new Promise<void>((resolve) => {
        const off = s.subscribe(() => {
          if (samples.length >= 3) {
            off();
            resolve();
          }
        });
      });
    } finally {
      s.stop();
    }
    expect(samples.every((x) => x.usage === 100)).toBe(true);
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.time).toBeGreaterThan(samples[i - 1]!.time);
  });
});

describe("MemorySampler: the trend the headroom guard projects with", () => {
  it("is the rise of anonymous memory per second against the newest sample ≥ 1 s older, of the same process only", async () => {
    const anon = new Map([[42, 10_000_000]]);
    const proc = {
      memory: async (pid: number) => ({ rss: anon.get(pid)! + 40_000_000, rssAnon: anon.get(pid) }),
      stat: async () => ({ utime: 0, stime: 0, startTime: 1 }),
      oomScore: async () => 0,
    } as unknown as ProcFs;
    const t = target("t", 42);
    const s = new MemorySampler({ targets: () => [t], proc });
    await s.sample(1000);
    expect(s.trend(t)).toBeNull(); // one sample: no trend yet
    anon.set(42, 30_000_000);
    await s.sample(1500);
    expect(s.trend(t)).toBeNull(); // two, but only 0.5 s apart
    anon.set(42, 50_000_000);
    await s.sample(3000);
    // 3000 against 1500 is ≥ 1 s: (50 - 30) MB over 1.5 s, the recent rise rather than the start's.
    expect(s.trend(t)).toBeCloseTo(20_000_000 / 1.5);
    anon.set(42, 40_000_000);
    await s.sample(4000);
    expect(s.trend(t)).toBeCloseTo(-10_000_000 / 1);
    // A restarted target is another process: its predecessor's samples say nothing of it.
    t.main = { pid: 43, startTime: 2 };
    t.pids = [43];
    anon.set(43, 5_000_000);
    await s.sample(6000);
    expect(s.trend(t)).toBeNull();
  });
});
