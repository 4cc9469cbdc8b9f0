// Issue 12, item 1: the headroom guard must never start a dump the cgroup cannot hold. The target — 445 k
// small objects in one array — grows from ~120 MB to ~970 MB while V8 builds its snapshot; under --memory-limit
// 700m and 900m every dump attempt used to OOM-kill it (the guard assumed 1 KiB per object, 10 × the anonymous
// memory). Here that target runs under 600m, 700m, 900m and 1.2g with a dump every second: no dump may cause an OOM
// kill. The full version (a minute of dumps per limit) is bench/headroom/run.mjs; this one takes ~8 dumps per
// limit, the four limits side by side.
// A second case shows that what dumps cost is learned: a small target's first dump fits the careful estimate, and
// its later dumps — which that estimate would refuse, since the snapshot's memory stays in the target's allocator —
// go ahead on what the first one measurably cost.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { memoryCgroupUnavailable, skipReason, waitFor } from "../helpers/env.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { value } from "../helpers/metrics.js";
import type { DumpCounts } from "../../src/heap/state.js";

const items = path.resolve(__dirname, "../fixtures/programs/items.js");
const noCgroup = memoryCgroupUnavailable();
const daemons: TestDaemon[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "lw-fault-headroom-"));
  dirs.push(d);
  return d;
}

const total = (c: DumpCounts) => Object.values(c).reduce((n, reasons) => n + Object.values(reasons ?? {}).reduce((a, b) => a + b, 0), 0);

/** Launches the items target under the limit with a dump every second, and waits until `enough` (or the target is gone). */
async function soak(limit: string, count: number, enough: (c: DumpCounts) => boolean, what: string) {
  // One name per limit: daemons in one process name their cgroups after the target.
  const name = `items-${limit}`;
  const d = await startDaemon([
    "--memory-limit",
    limit,
    "--dump-every",
    "1s",
    "--discovery-interval",
    "200ms",
    "--linger",
    "120s",
    "--name",
    name,
    "--data-dir",
    dataDir(),
    "--",
    process.execPath,
    items,
    String(count),
  ]);
  daemons.push(d);
  const target = d.daemon.targets.targets[0]!;
  const pid = target.main!.pid;
  // Dumps go on until there are enough, or the target is gone (what the old guard caused).
  await waitFor(
    async () => {
      const v = d.daemon.heaps.view(name);
      return (v !== undefined && enough(v.counts)) || !target.up || undefined;
    },
    150_000,
    `${what} under ${limit}`,
  );
  const scrape = await d.scrape();
  return {
    limit,
    counts: d.daemon.heaps.view(name)!.counts,
    view: d.daemon.heaps.view(name)!,
    up: value(scrape, "leakwatch_target_up", { target: name }),
    samePid: target.main?.pid === pid,
    oomKills: value(scrape, "leakwatch_cgroup_memory_events_total", { target: name, event: "oom_kill" }),
  };
}

describe.skipIf(skipReason("headroom guard faults", noCgroup))("a dump never OOM-kills its target", () => {
  it("the issue's 445 k-object target under 600m, 700m, 900m and 1.2g: no OOM kill, no failed dump, the target alive", async () => {
    // allSettled: a run that fails must not leave the others running past afterEach.
    const settled = await Promise.allSettled(["600m", "700m", "900m", "1200m"].map((l) => soak(l, 445_000, (c) => total(c) >= 8, "8 dumps")));
    const results = settled.map((s) => {
      if (s.status === "rejected") throw s.reason;
      return s.value;
    });
    for (const r of results) {
      expect(r, `under ${r.limit}`).toMatchObject({ up: 1, samePid: true, oomKills: 0 });
      expect(r.counts.failure, `under ${r.limit}`).toBeUndefined();
      expect(total(r.counts), `under ${r.limit}`).toBeGreaterThanOrEqual(8);
    }
    // Where a snapshot (~850 MB) cannot fit, every dump of the whole heap is refused before it starts.
    for (const r of results.slice(0, 3)) expect(r.counts.skipped?.insufficient_headroom, `under ${r.limit}`).toBeGreaterThanOrEqual(1);
  }, 240_000);

  it("learns what the target's dumps cost: after a measured first dump, dumps the careful estimate would refuse go ahead", async () => {
    // 50 k objects: ~15 MB anonymous, so the first dump's careful estimate (40 ×, ~600 MB) fits under 1.5 GB. The
    // snapshot leaves ~100 MB in the target's allocator: 40 × that (~4 GB) no longer fits, what the first dump
    // measurably cost (~110 MB, with margins ~175 MB) does.
    const r = await soak("1500m", 50_000, (c) => (c.success?.[""] ?? 0) >= 3, "3 successful dumps");
    expect(r).toMatchObject({ up: 1, samePid: true, oomKills: 0 });
    expect(r.counts.success?.[""]).toBeGreaterThanOrEqual(3);
    expect(r.counts.failure).toBeUndefined();
    expect(r.view.lastDumpCostBytes).toBeGreaterThan(10 * 1024 * 1024);
  }, 240_000);
});
