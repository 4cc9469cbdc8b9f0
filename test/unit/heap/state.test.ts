// One target's heap state with a scripted source: outcomes counted by result and reason, the verdict a steady
// leak earns, one dump at a time, the request count and headroom passed through to the runner, raw files
// disposed of, and the published view: frozen, never changed once published, announced by a "dump" event.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { DumpStore } from "../../../src/heap/store.js";
import { HeapState, type DumpEvent, type HeapView } from "../../../src/heap/state.js";
import { LEARNED_COST_MARGIN, LEARNED_OBJECT_GROWTH } from "../../../src/heap/cost.js";
import type { PeakWatch } from "../../../src/sampling/peak.js";
import { DumpError, type DumpContext, type HeapSource, type MemoryCostContext } from "../../../src/model/dump.js";
import type { TypeVerdict } from "../../../src/analysis/index.js";
import type { DumpSummaryBody } from "../../../src/model/summary.js";
import { Target } from "../../../src/targets/target.js";

const logger = pino({ level: "silent" });
let dir: string;
// A steady clock that a scripted dump moves on by 10 s: whether a window proves a leak depends on how the dumps are
// spaced (the recent slope against the whole window's), and a busy machine spaces real ones unevenly.
let clock = 0;
beforeEach(() => {
  clock = Date.UTC(2026, 0, 1);
  vi.spyOn(Date, "now").mockImplementation(() => clock);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

function body(leakBytes: number): DumpSummaryBody {
  const types = [
    { type: "Leaky", count: leakBytes / 100, bytes: leakBytes },
    { type: "Steady", count: 50, bytes: 5_000_000 },
  ].sort((a, b) => b.bytes - a.bytes);
  return {
    format: "plain",
    totalObjects: types.reduce((s, r) => s + r.count, 0),
    totalBytes: types.reduce((s, r) => s + r.bytes, 0),
    bytesExact: true,
    types,
    notes: [],
  };
}

class ScriptedSource implements HeapSource {
  readonly name = "scripted";
  calls = 0;
  cost = 0;
  readonly costs: MemoryCostContext[] = [];
  constructor(private readonly step: (ctx: DumpContext, n: number) => Promise<DumpSummaryBody>) {}
  async memoryCost(ctx: MemoryCostContext): Promise<number> {
    this.costs.push(ctx);
    return this.cost;
  }
  dump(ctx: DumpContext): Promise<DumpSummaryBody> {
    clock += 10_000;
    return this.step(ctx, this.calls++);
  }
}

async function setup(source: HeapSource, opts: Partial<{ keepDumps: number; sliceMs: number; window: number }> = {}) {
  dir = await mkdtemp(path.join(os.tmpdir(), "lw-heap-"));
  const store = new DumpStore({ dataDir: dir, retention: 100, logger });
  await store.open();
  const t = new Target({ name: "svc", pid: process.pid, restart: false } as never);
  t.setMain({ pid: process.pid, startTime: 1 });
  const heap = new HeapState(
    t,
    source,
    "node",
    store,
    {
      timeoutSeconds: 5,
      keepDumps: opts.keepDumps ?? 0,
      maxTypes: 10,
      verdict: { minAbsoluteGrowthBytes: 1000, window: opts.window },
      rawDir: path.join(dir, "raw", "svc"),
      sliceMs: opts.sliceMs,
    },
    logger,
  );
  return { store, heap, t };
}

describe("HeapState", () => {
  it("stores successful dumps and makes a steady leak a suspect while the steady type is not", async () => {
    const { heap, store } = await setup(new ScriptedSource(async (_c, n) => body(1_000_000 + n * 200_000)));
    for (let i = 0; i < 8; i++) {
      expect((await heap.dump("test")).result).toBe("success");
      // Distinct dump times: the trend statistics order and space the dumps by time.
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(store.list("svc")).toHaveLength(8);
    const v = heap.view;
    const leaky = v.verdicts.find((x) => x.type === "Leaky")!;
    expect(leaky.suspect).toBe(true);
    expect(v.verdicts.find((x) => x.type === "Steady")!.suspect).toBe(false);
    expect(v.suspects.map((x) => x.type)).toEqual(["Leaky"]);
    expect(v.suspects[0]).toBe(leaky);
    expect(v.counts).toEqual({ success: { "": 8 } });
    expect([...v.selection!.tracked].sort()).toEqual(["Leaky", "Steady"]);
    expect(v.latest).toBe(store.list("svc").at(-1));
    expect(v).toMatchObject({ target: "svc", source: "scripted", runtime: "node", lastOutcome: { result: "success", summary: v.latest } });
    expect(v.lastDurationSeconds).toBe(v.latest!.durationSeconds);
    expect(v.lastSuccessSeconds).toBeGreaterThan(0);
  });

  it("has the verdicts of the history kept from an earlier run before its first dump", async () => {
    const first = await setup(new ScriptedSource(async (_c, n) => body(1_000_000 + n * 200_000)));
    for (let i = 0; i < 8; i++) await first.heap.dump("test");
    const again = new DumpStore({ dataDir: dir, retention: 100, logger });
    await again.open();
    const heap = new HeapState(
      first.t,
      new ScriptedSource(async () => body(1)),
      "node",
      again,
      {
        timeoutSeconds: 5,
        keepDumps: 0,
        maxTypes: 10,
        verdict: { minAbsoluteGrowthBytes: 1000 },
        rawDir: path.join(dir, "raw", "svc"),
      },
      logger,
    );
    // Its totals at once; its verdicts once the stored summaries are read back (they are not kept in memory).
    expect(heap.view.latest?.id).toBe(first.heap.view.latest?.id);
    await heap.ready();
    expect(heap.view.suspects.map((x) => x.type)).toEqual(["Leaky"]);
    expect(heap.view.latest?.id).toBe(first.heap.view.latest?.id);
    expect(heap.view.counts).toEqual({});
    expect(heap.view.lastOutcome).toBeUndefined();
  });

  it("counts failures by reason and keeps the history untouched", async () => {
    const { heap, store } = await setup(
      new ScriptedSource(async (_c, n) => {
        if (n === 1) throw new DumpError("parse_error", "garbled");
        if (n === 2) throw new Error("boom");
        return body(1000);
      }),
    );
    await heap.dump("t");
    const latest = heap.view.latest;
    const failed = await heap.dump("t");
    expect(failed).toMatchObject({ result: "failure", reason: "parse_error" });
    expect((await heap.dump("t")).reason).toBe("internal");
    expect(store.list("svc")).toHaveLength(1);
    expect(heap.view.counts).toEqual({ success: { "": 1 }, failure: { parse_error: 1, internal: 1 } });
    expect(heap.view.latest).toBe(latest);
    expect(heap.view.lastOutcome).toMatchObject({ result: "failure", reason: "internal" });
  });

  it("records the request count it is given, and hands the guard the last dump's object count", async () => {
    const src = new ScriptedSource(async () => body(1000));
    const { heap, store } = await setup(src);
    await heap.dump("t", { requests: 41 });
    await heap.dump("t", { requests: 97, headroom: 1e12, rss: 5 });
    expect(store.list("svc").map((d) => d.requests)).toEqual([41, 97]);
    expect(src.costs).toEqual([{ pid: process.pid, rss: 5, lastObjects: body(1000).totalObjects, headroom: 1e12 }]);
  });

  it("skips a dump that would need more memory than the cgroup has left", async () => {
    const src = new ScriptedSource(async () => body(1000));
    src.cost = 500_000_000;
    const { heap } = await setup(src);
    const o = await heap.dump("t", { headroom: 100_000_000, rss: 250_000_000 });
    expect(o).toMatchObject({ result: "skipped", reason: "insufficient_headroom" });
    expect(src.calls).toBe(0);
    expect(heap.view.counts).toEqual({ skipped: { insufficient_headroom: 1 } });
    expect(heap.view.lastDurationSeconds).toBeUndefined();
  });

  it("learns what its dumps cost the target and hands that to the guard of the next one", async () => {
    const src = new ScriptedSource(async () => body(1000));
    const { heap } = await setup(src);
    const objects = body(1000).totalObjects;
    const watchPeak = async () =>
      ({
        anonBefore: 50e6,
        cancel: () => undefined,
        stop: async () => ({ growth: objects * 900, exact: true, anonBefore: 50e6, anonAfter: 60e6 }),
      }) as unknown as PeakWatch;
    await heap.dump("t", { headroom: 1e12, watchPeak });
    expect(src.costs.at(-1)?.learned).toBeUndefined(); // nothing measured yet: the source's own model
    await heap.dump("t", { headroom: 1e12, watchPeak });
    expect(src.costs.at(-1)?.learned).toBe(Math.ceil(objects * LEARNED_OBJECT_GROWTH * 900 * LEARNED_COST_MARGIN));
  });

  it("refuses new dumps once stopped, and stop() waits for the one in flight to end", async () => {
    let aborted = false;
    let started!: () => void;
    const inFlight = new Promise<void>((r) => (started = r));
    const { heap } = await setup(
      new ScriptedSource((ctx) => {
        started();
        return new Promise((_, reject) =>
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            reject(ctx.signal.reason);
          }),
        );
      }),
    );
    const running = heap.dump("t");
    await inFlight;
    await heap.stop();
    expect(aborted).toBe(true);
    expect(await running).toMatchObject({ result: "failure", reason: "timeout" });
    expect(await heap.dump("t")).toMatchObject({ result: "skipped", reason: "target_down" });
  });

  it("never runs two dumps of a target at once", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { heap } = await setup(
      new ScriptedSource(async () => {
        await gate;
        return body(1000);
      }),
    );
    const a = heap.dump("t");
    expect(heap.busy).toBe(true);
    const b = await heap.dump("t");
    expect(b).toMatchObject({ result: "skipped", reason: "busy" });
    release();
    expect((await a).result).toBe("success");
    expect(heap.busy).toBe(false);
    expect(heap.view.counts).toEqual({ skipped: { busy: 1 }, success: { "": 1 } });
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
    expect(await readdir(path.join(dir, "raw", "svc"))).toEqual([]);
    await rm(dir, { recursive: true, force: true });

    const kept = await setup(new ScriptedSource(writeRaw), { keepDumps: 2 });
    for (let i = 0; i < 4; i++) await kept.heap.dump("t");
    const keptFiles = await readdir(path.join(dir, "raw", "svc", "kept"));
    expect(keptFiles).toHaveLength(2);
    expect(keptFiles.some((f) => f.endsWith("dump-3.raw"))).toBe(true);
  });
});

describe("HeapState's view", () => {
  it("is frozen with its lists, counts and selection", async () => {
    const src = new ScriptedSource(async (_c, n) => body(1_000_000 + n * 200_000));
    const { heap } = await setup(src);
    for (let i = 0; i < 7; i++) await heap.dump("t");
    src.cost = 1e12;
    expect((await heap.dump("t", { headroom: 1 })).result).toBe("skipped"); // counts of two results
    const v = heap.view as HeapView & Record<string, unknown>;
    expect(v.suspects.length).toBeGreaterThan(0);
    for (const part of [
      v,
      v.verdicts,
      v.suspects,
      v.verdicts[0],
      v.counts,
      v.counts.success,
      v.selection,
      v.selection!.tracked,
      v.selection!.other,
      v.lastOutcome,
    ]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    // ESM is strict mode: writing to a frozen object throws instead of failing silently.
    expect(() => ((v as { lastDurationSeconds: number }).lastDurationSeconds = 1)).toThrow(TypeError);
    expect(() => (v.verdicts as unknown[]).push(v.verdicts[0])).toThrow(TypeError);
    expect(() => ((v.counts.success as Record<string, number>)[""] = 0)).toThrow(TypeError);
    expect(() => (v.selection!.tracked as string[]).push("Other")).toThrow(TypeError);
  });

  it("never changes once published: each outcome publishes a new one", async () => {
    const { heap } = await setup(
      new ScriptedSource(async (_c, n) => {
        if (n === 1) throw new DumpError("parse_error", "garbled");
        return body(1_000_000 + n * 200_000);
      }),
    );
    const empty = heap.view;
    await heap.dump("t");
    const first = heap.view;
    await heap.dump("t");
    const second = heap.view;
    await heap.dump("t");
    const third = heap.view;
    expect(new Set([empty, first, second, third]).size).toBe(4);

    expect(empty.counts).toEqual({});
    expect(empty.latest).toBeUndefined();
    expect(empty.selection).toBeUndefined();
    expect(empty.lastOutcome).toBeUndefined();

    expect(first.counts).toEqual({ success: { "": 1 } });
    expect(first.lastOutcome?.result).toBe("success");
    expect(second.counts).toEqual({ success: { "": 1 }, failure: { parse_error: 1 } });
    expect(second.lastOutcome?.reason).toBe("parse_error");
    // A failure leaves the analysis as it was: the same objects, not recomputed.
    expect(second.latest).toBe(first.latest);
    expect(second.verdicts).toBe(first.verdicts);
    expect(third.counts).toEqual({ success: { "": 2 }, failure: { parse_error: 1 } });
    expect(third.latest).not.toBe(first.latest);
    expect(first.latest?.totalBytes).toBe(body(1_000_000).totalBytes);
  });
});

describe("HeapState's dump event", () => {
  it("carries the outcome and the view published with it, for every result", async () => {
    const src = new ScriptedSource(async (_c, n) => {
      if (n === 1) throw new DumpError("parse_error", "garbled");
      return body(1000);
    });
    const { heap } = await setup(src);
    const events: DumpEvent[] = [];
    const views: HeapView[] = [];
    heap.on("dump", (e) => {
      events.push(e);
      views.push(heap.view);
    });
    const ok = await heap.dump("t", { requests: 5 });
    const failed = await heap.dump("t");
    src.cost = 1e12;
    const skipped = await heap.dump("t", { headroom: 1 });
    expect(events.map((e) => e.outcome)).toEqual([ok, failed, skipped]);
    expect(events.map((e) => e.outcome.result)).toEqual(["success", "failure", "skipped"]);
    for (const [i, e] of events.entries()) {
      expect(e.target).toBe("svc");
      expect(e.view).toBe(views[i]); // the view is published before listeners hear of it
      expect(e.view.lastOutcome).toBe(e.outcome);
      expect(Object.isFrozen(e)).toBe(true);
    }
    expect(events[0]!.outcome.summary?.requests).toBe(5);
    expect(events[2]!.view).toBe(heap.view);
  });

  it("stops calling a listener once unsubscribed", async () => {
    const { heap } = await setup(new ScriptedSource(async () => body(1000)));
    let calls = 0;
    const off = heap.on("dump", () => calls++);
    await heap.dump("t");
    off();
    await heap.dump("t");
    expect(calls).toBe(1);
    expect(heap.view.counts.success?.[""]).toBe(2);
  });
});

/** A dump of `n` types: most flat, every 10th growing with the dump number. */
function wide(n: number, k: number): DumpSummaryBody {
  const types = Array.from({ length: n }, (_, i) => ({
    type: `pkg.Type${i}`,
    count: 10 + (i % 10 === 0 ? k : 0),
    bytes: (10 + (i % 10 === 0 ? k * 5000 : 0)) * 32,
  }));
  types.push({ type: "Leaky", count: 1000 * (k + 1), bytes: 100_000 * (k + 1) });
  types.sort((a, b) => b.bytes - a.bytes);
  return { format: "plain", totalObjects: 0, totalBytes: types.reduce((s, r) => s + r.bytes, 0), bytesExact: true, types, notes: [] };
}

describe("HeapState's memory", () => {
  it("keeps no dump's rows: views and outcomes carry headers, the window's series come from columns", async () => {
    const { heap, store } = await setup(new ScriptedSource(async (_c, n) => wide(50, n)), { window: 4 });
    for (let i = 0; i < 6; i++) await heap.dump("t");
    const v = heap.view;
    expect(v.latest).not.toHaveProperty("types");
    expect(v.latest?.typeCount).toBe(51);
    expect(v.lastOutcome?.summary).toBe(v.latest);
    expect(v.lastOutcome?.summary).not.toHaveProperty("types");
    const series = heap.series!;
    const kept = store.list("svc");
    expect(series.dumps.map((d) => d.id)).toEqual(kept.slice(-4).map((d) => d.id));
    const last = (await store.read("svc", kept.at(-1)!.id))!;
    expect(series.stats("Leaky", 3)).toEqual({
      count: last.types.find((r) => r.type === "Leaky")!.count,
      bytes: last.types.find((r) => r.type === "Leaky")!.bytes,
    });
    expect(series.rows(3).size).toBe(51);
    // The exported types with their rows and verdicts, as /metrics reads them.
    expect(v.trackedRows.map((r) => r.type)).toEqual(v.selection!.tracked);
    expect(v.trackedVerdicts.every((x) => v.selection!.tracked.includes(x.type))).toBe(true);
    expect(v.byBytes.slice(0, 5)).toEqual(last.types.slice(0, 5).map((r) => r.type)); // the dump's rows are by bytes
    expect(v.verdictOf("Leaky")).toEqual(v.verdicts.find((x) => x.type === "Leaky"));
    expect(v.verdictTable.length).toBe(51);
  });

  it("analyses a big dump in slices: the event loop keeps running until the view is published", async () => {
    const { heap } = await setup(new ScriptedSource(async (_c, n) => wide(20_000, n)), { sliceMs: 0 });
    let turns = 0;
    let stop = false;
    const tick = (): void => {
      turns++;
      if (!stop) setImmediate(tick);
    };
    setImmediate(tick);
    await heap.dump("t");
    const during = turns;
    stop = true;
    // With slices of 0 ms every step of the analysis ends a slice: 20 000 types are hundreds of them.
    expect(during).toBeGreaterThan(100);
    expect(heap.view.verdictTable.length).toBe(20_001);
  });

  it("reads the kept history back into the same verdicts, and settles once every stored dump is analysed", async () => {
    const live = await setup(new ScriptedSource(async (_c, n) => wide(300, n)), { window: 6 });
    for (let i = 0; i < 8; i++) await live.heap.dump("t");
    await live.heap.settled();
    const again = new HeapState(
      live.t,
      new ScriptedSource(async (_c, n) => wide(300, 8 + n)),
      "node",
      live.store,
      { timeoutSeconds: 5, keepDumps: 0, maxTypes: 10, verdict: { minAbsoluteGrowthBytes: 1000, window: 6 }, rawDir: path.join(dir, "raw", "svc") },
      logger,
    );
    expect(again.series).toBeUndefined(); // not read back yet
    await again.ready();
    // The states start again from the kept window: the same verdicts and states; what only the history knows (how
    // long a type has been in its state, the fastest rate it was proven at, what the plateau test last saw) differs.
    const noAge = (vs: readonly TypeVerdict[]) =>
      vs.map(({ stateDumps: _d, reason: _r, provenBytesPerSecond: _p, flatBytesPerSecond: _f, flatDumps: _m, ...v }) => v);
    expect(noAge(again.view.verdicts)).toEqual(noAge(live.heap.view.verdicts));
    expect(again.series!.dumps.map((d) => d.id)).toEqual(live.heap.series!.dumps.map((d) => d.id));
    expect(again.view.suspects.map((x) => x.type)).toContain("Leaky");
  });
});
