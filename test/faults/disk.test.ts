// Issue 12, item 2: with --heapsnapshot-signal the target writes its snapshot itself, and on a full disk Node's
// signal handler fails with ENOSPC and the target exits 1 — at the first dump. Here a launched Node target writes
// into a 1 MB tmpfs (--data-dir): every dump must be skipped with reason insufficient_disk before the signal is
// sent, and the target must live on.
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { skipReason, waitFor } from "../helpers/env.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { value } from "../helpers/metrics.js";

const items = path.resolve(__dirname, "../fixtures/programs/items.js");

/** Mounts a 1 MB tmpfs; null when this machine cannot (the reason is printed by skipReason). */
function tinyDiskUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "not root: cannot mount a tmpfs";
  const dir = mkdtempSync(path.join(os.tmpdir(), "lw-fault-disk-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "pipe" });
    execFileSync("umount", [dir], { stdio: "pipe" });
    return null;
  } catch (err) {
    return `cannot mount a tmpfs: ${(err as Error).message.split("\n")[0]}`;
  } finally {
    rmdirSync(dir);
  }
}

const mounts: string[] = [];
let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  for (const m of mounts.splice(0)) {
    execFileSync("umount", [m], { stdio: "pipe" });
    rmdirSync(m);
  }
});

describe.skipIf(skipReason("full-disk faults", tinyDiskUnavailable()))("a full disk never kills a target that writes its own snapshot", () => {
  it("skips every dump with insufficient_disk before signalling; the target lives on, nothing is written", async () => {
    const mnt = mkdtempSync(path.join(os.tmpdir(), "lw-fault-disk-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], { stdio: "pipe" });
    mounts.push(mnt);
    d = await startDaemon([
      "--dump-every",
      "1s",
      "--discovery-interval",
      "200ms",
      "--linger",
      "60s",
      "--name",
      "small",
      "--data-dir",
      mnt,
      "--",
      process.execPath,
      items,
      "1000",
    ]);
    const target = d.daemon.targets.targets[0]!;
    const pid = target.main!.pid;
    await waitFor(async () => (d!.daemon.heaps.view("small")?.counts.skipped?.insufficient_disk ?? 0) >= 3 || !target.up || undefined, 60_000, "three dumps");
    const v = d.daemon.heaps.view("small")!;
    expect(target.up).toBe(true);
    expect(target.main?.pid).toBe(pid);
    expect(v.counts.failure).toBeUndefined();
    expect(v.counts.success).toBeUndefined();
    expect(v.lastOutcome?.message).toMatch(/needs about \d+ bytes plus a \d+-byte margin in .*, which has \d+ free/);
    const scrape = await d.scrape();
    expect(value(scrape, "leakwatch_target_up", { target: "small" })).toBe(1);
    expect(value(scrape, "leakwatch_heap_dumps_total", { target: "small", result: "skipped", reason: "insufficient_disk" })).toBeGreaterThanOrEqual(3);
    expect(readdirSync(path.join(mnt, "raw", "small")).filter((f) => f.endsWith(".heapsnapshot"))).toEqual([]);
  }, 120_000);
});
