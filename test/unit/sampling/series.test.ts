// The columnar ring and the series over it: every sample of the recent past, thinned peaks before that, and room for
// samples taken on demand between the ticks.
import { describe, expect, it } from "vitest";
import { MemorySeries, SampleRing, type MemorySample } from "../../../src/sampling/series.js";

const sample = (i: number): MemorySample => ({
  time: i * 1000,
  up: i % 2 === 1,
  rss: i * 10,
  usage: null,
  workingSet: 2 ** 40 + i, // beyond 32 bits: kept exactly
  limit: i === 4 ? 0 : null,
  headroom: -i,
  requests: i === 4 ? null : i,
});

describe("SampleRing", () => {
  it("keeps the last `capacity` samples in columns, nulls and zeros as they were", () => {
    const r = new SampleRing(3);
    expect(r.between(0)).toEqual([]);
    expect(r.last()).toBeUndefined();
    for (let i = 1; i <= 5; i++) r.push(sample(i));
    expect(r.size).toBe(3);
    expect(r.between(0)).toEqual([sample(3), sample(4), sample(5)]);
    expect(r.between(3000, 5000)).toEqual([sample(4)]);
    expect(r.last()).toEqual(sample(5));
    expect(r.lastTime()).toBe(5000);
    expect(() => new SampleRing(0)).toThrow(RangeError);
  });

  it("grows keeping its samples in order, wrapped or not", () => {
    const r = new SampleRing(3);
    for (let i = 1; i <= 4; i++) r.push(sample(i)); // wrapped: 2, 3, 4
    r.grow(5);
    expect(r.capacity).toBe(5);
    expect(r.between(0)).toEqual([sample(2), sample(3), sample(4)]);
    for (let i = 5; i <= 8; i++) r.push(sample(i));
    expect(r.between(0)).toEqual([4, 5, 6, 7, 8].map(sample));
    r.grow(2); // never shrinks
    expect(r.capacity).toBe(5);
  });
});

describe("MemorySeries", () => {
  const point = (time: number, rss = 1): MemorySample => ({ time, up: true, rss, usage: null, workingSet: null, limit: null, headroom: null, requests: null });

  it("keeps recentMs of samples when on-demand ones come between the ticks, up to 4× what the ticks need", () => {
    const s = new MemorySeries({ intervalMs: 1000, keepMs: 10_000, recentMs: 10_000, olderIntervalMs: 1000 });
    // Ticks alone: a ring of 10 holds the last 10 s.
    for (let t = 1000; t <= 20_000; t += 1000) s.push(point(t));
    expect(s.between().map((p) => p.time)).toEqual(Array.from({ length: 10 }, (_, i) => 11_000 + i * 1000));
    // A sample between every two ticks: every one of the last 10 s is still there.
    for (let t = 20_500; t <= 40_000; t += 500) s.push(point(t));
    const times = s.between().map((p) => p.time);
    expect(times.filter((t) => t > 30_000)).toEqual(Array.from({ length: 20 }, (_, i) => 30_500 + i * 500));
    // Ten per tick: bounded at 4× (40 samples), so less than 10 s.
    for (let t = 40_100; t <= 60_000; t += 100) s.push(point(t));
    expect(s.between().filter((p) => p.time > 50_000).length).toBe(40);
  });
});
