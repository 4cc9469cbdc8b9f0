// The peak watch during a dump: how far the target's memory rose above its level at the start, exact from the
// kernel's high-water marks when the dump set a new high, from the 100 ms samples otherwise; the larger of the main
// process's rise and its cgroup's.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ProcFs } from "../../../src/procfs/process.js";
import type { ProcMemory } from "../../../src/procfs/status.js";
import { PeakWatch } from "../../../src/sampling/peak.js";
import { MiB, scratch, writeTree } from "../cgroups/fixture.js";

const tmp = scratch("lw-peak-");
afterAll(() => tmp.cleanup());

/** A process whose memory the test sets. */
function process1(mem: ProcMemory) {
  const state = { mem };
  const proc = {
    memory: async () => {
      if (state.mem === undefined) throw Object.assign(new Error("gone"), { code: "ENOENT" });
      return { ...state.mem };
    },
  } as unknown as ProcFs;
  return { proc, set: (m: ProcMemory) => (state.mem = m) };
}

let n = 0;
function cgroupV1(usage: number, peak: number) {
  const dir = writeTree(path.join(tmp.dir, `cg${n++}`), { "memory.usage_in_bytes": String(usage), "memory.max_usage_in_bytes": String(peak) });
  const set = (u: number, p: number) => {
    writeFileSync(path.join(dir, "memory.usage_in_bytes"), String(u));
    writeFileSync(path.join(dir, "memory.max_usage_in_bytes"), String(p));
  };
  return { dir, set };
}

describe("PeakWatch", () => {
  it("takes the high-water mark as the peak when it rose during the watch, though no sample saw it", async () => {
    const p = process1({ rss: 100 * MiB, rssPeak: 120 * MiB, rssAnon: 60 * MiB });
    const w = await PeakWatch.start({ proc: p.proc, pid: 1, intervalMs: 60_000 });
    expect(w.anonBefore).toBe(60 * MiB);
    // The snapshot came and went between samples: only VmHWM remembers it.
    p.set({ rss: 400 * MiB, rssPeak: 950 * MiB, rssAnon: 380 * MiB });
    expect(await w.stop()).toEqual({ growth: 850 * MiB, exact: true, anonBefore: 60 * MiB, anonAfter: 380 * MiB });
  });

  it("falls back to the samples when the high-water mark did not rise (an earlier peak was higher)", async () => {
    const p = process1({ rss: 600 * MiB, rssPeak: 950 * MiB, rssAnon: 580 * MiB });
    const w = await PeakWatch.start({ proc: p.proc, pid: 1, intervalMs: 10 });
    p.set({ rss: 900 * MiB, rssPeak: 950 * MiB, rssAnon: 880 * MiB });
    await new Promise((r) => setTimeout(r, 100)); // a few samples see 900 MiB
    p.set({ rss: 610 * MiB, rssPeak: 950 * MiB, rssAnon: 590 * MiB });
    expect(await w.stop()).toEqual({ growth: 300 * MiB, exact: false, anonBefore: 580 * MiB, anonAfter: 590 * MiB });
  });

  it("counts the cgroup's rise when it is the larger (a snapshot file's page cache, other processes)", async () => {
    const p = process1({ rss: 100 * MiB, rssPeak: 100 * MiB, rssAnon: 60 * MiB });
    const cg = cgroupV1(200 * MiB, 250 * MiB);
    const w = await PeakWatch.start({ proc: p.proc, pid: 1, cgroup: { version: 1, dir: cg.dir }, intervalMs: 60_000 });
    p.set({ rss: 150 * MiB, rssPeak: 160 * MiB, rssAnon: 70 * MiB });
    cg.set(210 * MiB, 330 * MiB);
    expect(await w.stop()).toMatchObject({ growth: 130 * MiB, exact: true });
  });

  it("never reports a fall as growth, and keeps what it saw of a process that went away", async () => {
    const p = process1({ rss: 100 * MiB, rssPeak: 100 * MiB });
    const w = await PeakWatch.start({ proc: p.proc, pid: 1, intervalMs: 60_000 });
    p.set(undefined as unknown as ProcMemory);
    expect(await w.stop()).toMatchObject({ growth: 0, exact: false });
    const q = process1({ rss: 100 * MiB, rssPeak: 100 * MiB });
    const v = await PeakWatch.start({ proc: q.proc, pid: 1, intervalMs: 60_000 });
    q.set({ rss: 50 * MiB, rssPeak: 100 * MiB });
    expect((await v.stop()).growth).toBe(0);
  });
});
