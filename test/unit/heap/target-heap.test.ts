// The dump pipeline with a scripted source: outcomes and reasons, the headroom guard, timeouts, overlap,
// raw-file disposal, and the verdict a steady leak earns.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm, writeFile, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { DumpStore } from "../../../src/heap/store.js";
import { TargetHeap } from "../../../src/heap/target-heap.js";
import { DumpError, type DumpContext, type HeapSource } from "../../../src/model/dump.js";
import type { DumpSummaryBody } from "../../../src/model/summary.js";
import { Target } from "../../../src/targets/target.js";

const logger = pino({ level: "silent" });
let dir: string;
afterEach(async () => rm(dir, { recursive: true, force: true }));

function body(leakBytes: number): DumpSummaryBody {
  const types = [
    { type: "Leaky", count: leakBytes / 100, bytes: leakBytes },
    { type: "Steady", count: 50, bytes: 5_000_000 },
  ].sort((a, b) => b.bytes - a.bytes);
  return { format: "plain", totalObjects: types.reduce((s, r) => s + r.count, 0), totalBytes: types.reduce((s, r) => s + r.bytes, 0), bytesExact: true, types, notes: [] };
}

class ScriptedSource implements HeapSource {
  readonly name = "scripted";
  calls = 0;
  cost = 0;
  constructor(private readonly step: (ctx: DumpContext, n: number) => Promise<DumpSummaryBody>) {}
  async memoryCost(): Promise<number> {
    return this.cost;
  }
  dump(ctx: DumpContext): Promise<DumpSummaryBody> {
    return this.step(ctx, this.calls++);
  }
}

async function setup(source: HeapSource, opts: Partial<{ keepDumps: number; timeoutSeconds: number }> = {}) {
  dir = await mkdtemp(path.join(os.tmpdir(), "lw-heap-"));
  const store = new DumpStore({ dataDir: dir, retention: 100, logger });
  await store.open();
  const t = new Target({ name: "svc", pid: process.pid, restart: false } as never);
  t.setMain({ pid: process.pid, startTime: 1 });
  const heap = new TargetHeap(t, source, store, {
    timeoutSeconds: opts.timeoutSeconds ?? 5, keepDumps: opts.keepDumps ?? 0, maxTypes: 10,
    verdict: { minAbsoluteGrowthBytes: 1000 }, rawDir: path.join(dir, "raw", "svc"),
  }, logger);
  return { store, heap, t };
}

describe("TargetHeap", () => {
  it("stores successful dumps and makes a steady leak a suspect while the steady type is not", async () => {
    const { heap, store } = await setup(new ScriptedSource(async (_c, n) => body(1_000_000 + n * 200_000)));
    for (let i = 0; i < 8; i++) expect((await heap.dump("test")).result).toBe("success");
    expect(store.list("svc")).toHaveLength(8);
    const leaky = heap.verdicts.find((v) => v.type === "Leaky")!;
    expect(leaky.suspect).toBe(true);
    expect(heap.verdicts.find((v) => v.type === "Steady")!.suspect).toBe(false);
    expect(heap.counts.get("success")?.get("")).toBe(8);
    expect(heap.selection?.tracked.sort()).toEqual(["Leaky", "Steady"]);
  });

  it("counts failures by reason and keeps the history untouched", async () => {
    const { heap, store } = await setup(new ScriptedSource(async (_c, n) => {
      if (n === 1) throw new DumpError("parse_error", "garbled");
      if (n === 2) throw new Error("boom");
      return body(1000);
    }));
    await heap.dump("t");
    const failed = await heap.dump("t");
    expect(failed).toMatchObject({ result: "failure", reason: "parse_error" });
    expect((await heap.dump("t")).reason).toBe("internal");
    expect(store.list("svc")).toHaveLength(1);
    expect(heap.counts.get("failure")?.get("parse_error")).toBe(1);
  });

  it("skips a dump that would need more memory than the cgroup has left", async () => {
    const src = new ScriptedSource(async () => body(1000));
    src.cost = 500_000_000;
    const { heap } = await setup(src);
    const o = await heap.dump("t", { headroom: 100_000_000, rss: 250_000_000 });
    expect(o).toMatchObject({ result: "skipped", reason: "insufficient_headroom" });
    expect(src.calls).toBe(0);
  });

  it("never runs two dumps of a target at once", async () => {
    const { heap } = await setup(new ScriptedSource(() => new Promise((r) => setTimeout(() => r(body(1000)), 200))));
    const [a, b] = await Promise.all([heap.dump("t"), heap.dump("t")]);
    expect(a.result).toBe("success");
    expect(b).toMatchObject({ result: "skipped", reason: "busy" });
  });

  it("times out a hanging source and aborts it", async () => {
    let aborted = false;
    const { heap } = await setup(new ScriptedSource((ctx) => {
      ctx.signal.addEventListener("abort", () => (aborted = true));
      return new Promise(() => undefined);
    }), { timeoutSeconds: 1 });
    const o = await heap.dump("t");
    expect(o).toMatchObject({ result: "failure", reason: "timeout" });
    expect(aborted).toBe(true);
  });

  it("skips a target with no process", async () => {
    const { heap, t } = await setup(new ScriptedSource(async () => body(1)));
    t.setMain(undefined);
    expect(await heap.dump("t")).toMatchObject({ result: "skipped", reason: "target_down" });
  });

  it("deletes raw files after parsing, or keeps the last N with --keep-dumps", async () => {
    const writeRaw = async (ctx: DumpContext, n: number) => {
      const f = path.join(ctx.privateDir, `dump-${n}.raw`);
      await writeFile(f, "secret", { mode: 0o600 });
      await ctx.disposeRaw(f);
      return body(1000);
    };
    const { heap } = await setup(new ScriptedSource(writeRaw));
    await heap.dump("t");
    const raw = path.join(dir, "raw", "svc");
    expect((await readdir(raw)).filter((f) => f.endsWith(".raw"))).toEqual([]);
    expect(((await stat(raw)).mode & 0o777).toString(8)).toBe("700");
    await rm(dir, { recursive: true, force: true });

    const kept = await setup(new ScriptedSource(writeRaw), { keepDumps: 2 });
    for (let i = 0; i < 4; i++) await kept.heap.dump("t");
    const keptFiles = await readdir(path.join(dir, "raw", "svc", "kept"));
    expect(keptFiles).toHaveLength(2);
    expect(keptFiles.some((f) => f.endsWith("dump-3.raw"))).toBe(true);
  });
});
