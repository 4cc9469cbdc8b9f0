// For real: leakwatch launches a child under --memory-limit 200m in a new memory cgroup, the child grows until
// the kernel's OOM killer ends it, and /metrics shows every step of that.
import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { memoryCgroupUnavailable, skipReason, sleep, waitFor } from "../helpers/env.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { value } from "../helpers/metrics.js";

const program = path.resolve(__dirname, "../fixtures/programs/alloc-steadily.js");
const noCgroup = memoryCgroupUnavailable();

describe.skipIf(skipReason("memory-limit integration", noCgroup))("--memory-limit with a real OOM kill", () => {
  let d: TestDaemon | undefined;
  afterEach(async () => {
    await d?.stop();
    d = undefined;
  });

  it("shows RSS rising, the 200m limit, falling headroom, then the OOM kill and the target down", async () => {
    d = await startDaemon(["--memory-limit", "200m", "--linger", "60s", "--name", "hog", "--", process.execPath, program, "4", "100"]);
    const target = d.daemon.targets.targets[0]!;
    const cgDir = target.cgroup!.dir;
    expect(existsSync(cgDir)).toBe(true);

    const first = await waitFor(
      async () => {
        const s = await d!.scrape();
        return value(s, "leakwatch_target_resident_memory_bytes", { target: "hog" }) !== undefined ? s : undefined;
      },
      10_000,
      "first RSS sample",
    );
    expect(value(first, "leakwatch_target_up", { target: "hog" })).toBe(1);
    expect(value(first, "leakwatch_cgroup_memory_limit_bytes", { target: "hog" })).toBe(209715200);
    expect(value(first, "leakwatch_cgroup_memory_swap_limit_bytes", { target: "hog" })).toBe(0);
    const rss0 = value(first, "leakwatch_target_resident_memory_bytes", { target: "hog" })!;
    const headroom0 = value(first, "leakwatch_cgroup_memory_headroom_bytes", { target: "hog" })!;

    await sleep(1500);
    const later = await d.scrape();
    const rss1 = value(later, "leakwatch_target_resident_memory_bytes", { target: "hog" });
    const headroom1 = value(later, "leakwatch_cgroup_memory_headroom_bytes", { target: "hog" });
    expect(rss1).toBeGreaterThan(rss0 + 16 * 1024 * 1024);
    expect(headroom1).toBeLessThan(headroom0 - 16 * 1024 * 1024);

    const afterOom = await waitFor(
      async () => {
        const s = await d!.scrape();
        return value(s, "leakwatch_target_up", { target: "hog" }) === 0 ? s : undefined;
      },
      30_000,
      "the target to be OOM-killed",
    );
    const ev = (event: string) => value(afterOom, "leakwatch_cgroup_memory_events_total", { target: "hog", event });
    expect(ev("oom_kill")).toBeGreaterThanOrEqual(1);
    // failcnt is exposed, but this machine's 6.18 kernel leaves v1 failcnt at 0 even through an OOM kill, so only
    // its presence is asserted; oom_kill is the event that must count.
    expect(ev("failcnt")).toBeGreaterThanOrEqual(0);
    expect(value(afterOom, "leakwatch_target_last_exit_code", { target: "hog" })).toBe(137);
    // The final state is still served while lingering; the limit and peak stay visible.
    expect(value(afterOom, "leakwatch_cgroup_memory_limit_bytes", { target: "hog" })).toBe(209715200);
    expect(value(afterOom, "leakwatch_cgroup_memory_peak_bytes", { target: "hog" })).toBeGreaterThan(190 * 1024 * 1024);
    expect(value(afterOom, "leakwatch_target_resident_memory_bytes", { target: "hog" })).toBeUndefined();

    await d.stop();
    d = undefined;
    expect(existsSync(cgDir)).toBe(false);
  });
});

describe.skipIf(skipReason("heap triggers under a memory limit", noCgroup))("heap dumps under a memory limit", () => {
  let d: TestDaemon | undefined;
  afterEach(async () => {
    await d?.stop();
    d = undefined;
  });
  const plainTable = path.resolve(__dirname, "../fixtures/targets/plain-table.js");

  it("dumps when the working set crosses --dump-at, before the OOM kill", async () => {
    d = await startDaemon([
      "--memory-limit",
      "200m",
      "--dump-at",
      "0.5",
      // No scheduled dump within the test, only --dump-at's: the default schedule (every 5 minutes, on the clock)
      // could fire mid-test and make it two dumps.
      "--dump-every",
      "24d",
      "--linger",
      "60s",
      "--name",
      "hog",
      "--discovery-interval",
      "200ms",
      "--heap-source",
      "command",
      "--heap-command",
      `${process.execPath} ${plainTable} {pid}`,
      "--data-dir",
      dataDir(),
      // 2 MiB per 100 ms: the threshold (100 MiB) comes ~5 s before the OOM kill, time enough for the dump
      // even on a loaded machine.
      "--",
      process.execPath,
      program,
      "2",
      "100",
    ]);
    await waitFor(async () => value(await d!.scrape(), "leakwatch_target_up", { target: "hog" }) === 0 || undefined, 30_000, "the OOM kill");
    const heap = d.daemon.heaps.view("hog")!;
    expect(heap.counts.success?.[""]).toBe(1);
    const dump = (await d.daemon.store.read("hog", d.daemon.store.list("hog")[0]!.id))!;
    expect(dump.types.find((t) => t.type === "com.example.Session")?.count).toBe(120);
  });

  it("skips a V8 snapshot that would not fit in the cgroup's headroom, and the target survives", async () => {
    const leaky = path.resolve(__dirname, "../fixtures/targets/leaky.js");
    // ~45 MB of anonymous memory in ballast objects: a snapshot would need about twice that, more than a 100 MiB
    // limit leaves.
    d = await startDaemon(["--memory-limit", "100m", "--name", "tight", "--data-dir", dataDir(), "--", process.execPath, leaky, "1", "200000"]);
    await waitFor(async () => (d!.daemon.heaps.view("tight") ? true : undefined), 10_000, "a heap source");
    await sleep(3000); // let the ballast be built
    const o = await d.daemon.heaps.dumpNow("tight", "test")!;
    expect(o).toMatchObject({ result: "skipped", reason: "insufficient_headroom" });
    expect(value(await d.scrape(), "leakwatch_target_up", { target: "tight" })).toBe(1);
    expect(value(await d.scrape(), "leakwatch_heap_dumps_total", { target: "tight", result: "skipped", reason: "insufficient_headroom" })).toBe(1);
  });
});

function dataDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), "lw-mem-"));
}
