import { describe, expect, it } from "vitest";
import { DurationHistogram, LoadStats } from "../../../src/load/stats.js";

describe("load stats", () => {
  it("buckets durations with le semantics and cumulates them, +Inf last", () => {
    const h = new DurationHistogram([0.1, 1]);
    for (const s of [0.05, 0.1, 0.5, 1, 3]) h.observe(s);
    expect(h.cumulative()).toEqual([
      [0.1, 2],
      [1, 4],
      [Infinity, 5],
    ]);
    expect(h.count).toBe(5);
    expect(h.sum).toBeCloseTo(4.65);
  });

  it("external counts join the ok outcome and are remembered apart", () => {
    const s = new LoadStats();
    s.record("ok", 0.01);
    s.record("timeout", 10);
    s.addExternal(40);
    expect(s.counts).toEqual({ ok: 41, error: 0, timeout: 1 });
    expect(s.external).toBe(40);
    expect(s.total).toBe(42);
    expect(s.durations.count).toBe(2);
  });
});
