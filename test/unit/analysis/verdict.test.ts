import { describe, expect, it } from "vitest";
import type { DumpSummary } from "../../../src/model/summary.js";
import fc from "fast-check";
import {
  checkTrend,
  leakVerdicts,
  resolveVerdictOptions,
  seriesVerdict,
  type TypeVerdict,
  type VerdictDump,
  type VerdictOptions,
} from "../../../src/analysis/verdict.js";
import { boundedLru, dumpsFromBytes, linear, MiB, MINUTE, sawtooth, warmupThenPlateau, withNoise } from "./synthetic.js";

/** Floors small enough for synthetic series of a few MiB. */
const SMALL: VerdictOptions = { minAbsoluteGrowthBytes: 64 * 1024 };

function verdictOf(bytes: readonly number[], options: VerdictOptions = SMALL, type = "Leaky"): TypeVerdict {
  const v = leakVerdicts(dumpsFromBytes(bytes, { type }), options).find((x) => x.type === type);
  if (!v) throw new Error(`no verdict for ${type}`);
  return v;
}

/** Verdicts on every prefix of the series, as the daemon would see them dump after dump. */
function prefixes(bytes: readonly number[], options: VerdictOptions = SMALL): TypeVerdict[] {
  return bytes.map((_, i) => verdictOf(bytes.slice(0, i + 1), options));
}

function countSuspects(seeds: number, make: (seed: number) => number[], options: VerdictOptions = SMALL): number {
  let n = 0;
  for (let seed = 1; seed <= seeds; seed++) if (verdictOf(make(seed), options).suspect) n++;
  return n;
}

describe("leak verdict — synthetic series", () => {
  it("a linear leak is a suspect as soon as it has minDumps (6) dumps, and stays one", () => {
    const series = linear(30, 20 * MiB, 1 * MiB);
    const seen = prefixes(series);
    expect(seen.slice(0, 5).every((v) => !v.suspect)).toBe(true);
    expect(seen[4]!.reason).toMatch(/only 5 dumps/);
    expect(seen.slice(5).every((v) => v.suspect)).toBe(true);
    const at6 = seen[5]!;
    expect(at6.mkP).toBeCloseTo(1 / 720, 12);
    expect(at6.netGrowthBytes).toBeCloseTo(5 * MiB, 0);
    expect(at6.bytesSlopePerSecond).toBeCloseTo(MiB / 300, 6);
    expect(at6.streak).toBe(5);
    expect(at6.suspectBy).toBe("bytes");
    expect(at6.reason).toMatch(/^rising over 6 dumps/);
    // The window slides: 12 dumps at most.
    expect(seen[29]!.dumps).toBe(12);
  });

  it("a steady leak with one dip at the end is still a suspect (net growth is Theil–Sen, not last − first)", () => {
    const series = linear(12, 20 * MiB, 1 * MiB);
    series[11] = 17 * MiB; // back to the level of 8 dumps ago
    const v = verdictOf(series);
    expect(v.suspect).toBe(true);
    expect(v.streak).toBe(0);
    expect(v.netGrowthBytes).toBeGreaterThan(9 * MiB); // last − first would say 0.
  });

  it("a steady leak with a dip in the middle is still a suspect", () => {
    const series = linear(12, 20 * MiB, 1 * MiB);
    series[6] = 15 * MiB;
    expect(verdictOf(series).suspect).toBe(true);
  });

  it("warm-up then plateau is not a suspect, although Mann–Kendall alone says it rises", () => {
    const series = warmupThenPlateau(20 * MiB, 5 * MiB, 4, 7); // 12 dumps: 4 rising steps, then flat
    const v = verdictOf(series);
    expect(v.mkP).toBeLessThan(0.01); // S = 38: significant over the window
    expect(v.suspect).toBe(false);
    expect(v.reason).toMatch(/levelling off/);
  });

  it("once a plateau has lasted half the window, warm-up is never a suspect again", () => {
    const series = warmupThenPlateau(20 * MiB, 5 * MiB, 4, 40);
    const seen = prefixes(series);
    // plateau reached at index 4; at prefix end e ≥ 4 + 6 the recent half is all plateau.
    for (let e = 10; e < series.length; e++) expect(seen[e]!.suspect, `prefix ${e + 1}`).toBe(false);
  });

  it("warm-up then noisy plateau: no suspect over 200 seeds", () => {
    expect(countSuspects(200, (s) => withNoise(warmupThenPlateau(20 * MiB, 5 * MiB, 4, 7), 1 * MiB, s))).toBe(0);
    expect(countSuspects(200, (s) => withNoise(warmupThenPlateau(20 * MiB, 5 * MiB, 6, 5), 1 * MiB, s))).toBe(0);
  });

  it("a sawtooth cache (filled then cleared) is not a suspect, whatever its period and phase", () => {
    for (const period of [3, 4, 5, 6])
      for (let phase = 0; phase < period; phase++) {
        const v = verdictOf(sawtooth(12, 20 * MiB, 2 * MiB, period, phase));
        expect(v.suspect, `period ${period} phase ${phase}: ${v.reason}`).toBe(false);
      }
    expect(countSuspects(200, (s) => withNoise(sawtooth(12, 20 * MiB, 2 * MiB, 4, s % 4), 0.5 * MiB, s))).toBe(0);
  });

  it("a bounded LRU that fills up and then stays is not a suspect", () => {
    const lru = boundedLru(12, 10 * MiB, 40 * MiB, 0.5); // strictly increasing, ever more slowly
    const v = verdictOf(lru);
    expect(v.mkP).toBeLessThan(0.001);
    expect(v.suspect).toBe(false);
    expect(countSuspects(200, (s) => withNoise(boundedLru(12, 10 * MiB, 40 * MiB, 0.5), 1 * MiB, s))).toBe(0);
  });

  it("pure noise around a constant is not a suspect over 300 seeds", () => {
    expect(countSuspects(300, (s) => withNoise(linear(12, 50 * MiB, 0), 1 * MiB, s))).toBe(0);
  });

  it("the Mann–Kendall p-value is calibrated on noise (floors off): ≈ 1% below 0.01", () => {
    let significant = 0;
    for (let s = 1; s <= 1000; s++) if (verdictOf(withNoise(linear(12, 50 * MiB, 0), 5 * MiB, s)).mkP < 0.01) significant++;
    expect(significant).toBeGreaterThanOrEqual(2);
    expect(significant).toBeLessThanOrEqual(20);
  });

  it("tiny growth below the floors is not a suspect, and the reason says which floor", () => {
    // Significant and steady, but 50 KiB per dump: +550 KiB < 1 MiB default floor.
    const belowAbsolute = verdictOf(linear(12, 100 * 1024, 50 * 1024), {});
    expect(belowAbsolute.mkP).toBeLessThan(0.01);
    expect(belowAbsolute.relativeGrowth).toBeGreaterThan(1);
    expect(belowAbsolute.suspect).toBe(false);
    expect(belowAbsolute.reason).toMatch(/not above floor 1\.0 MiB/);
    // +2.2 MiB on 50 MiB = 4.4% < 10%.
    const belowRelative = verdictOf(linear(12, 50 * MiB, 200 * 1024), {});
    expect(belowRelative.netGrowthBytes).toBeGreaterThan(MiB);
    expect(belowRelative.suspect).toBe(false);
    expect(belowRelative.reason).toMatch(/not above floor 10\.0%/);
  });

  it("a leak with noise is a suspect (≥ 95% of 200 seeds at noise = one dump's growth)", () => {
    expect(countSuspects(200, (s) => withNoise(linear(12, 50 * MiB, 1 * MiB), 1 * MiB, s))).toBeGreaterThanOrEqual(190);
  });

  it("a leak that starts mid-window is a suspect", () => {
    expect(verdictOf([...linear(5, 50 * MiB, 0), ...linear(7, 50 * MiB, 1.5 * MiB)]).suspect).toBe(true);
  });

  it("a single step up (flat, jump, flat) is not a suspect", () => {
    const step = [...linear(6, 50 * MiB, 0), ...linear(6, 70 * MiB, 0)];
    expect(verdictOf(step).suspect).toBe(false);
    expect(countSuspects(200, (s) => withNoise(step, 0.5 * MiB, s))).toBe(0);
  });
});

describe("leak verdict — series construction", () => {
  it("a type is excluded before its first appearance and counts as 0 when missing afterwards", () => {
    const bytes = [NaN, NaN, NaN, 1 * MiB, 2 * MiB, NaN, 4 * MiB, 5 * MiB];
    const v = verdictOf(bytes);
    expect(v.dumps).toBe(5); // from dump 4 on
    expect(v.streak).toBe(2); // 0 → 4 → 5 MiB: the missing dump was a 0
  });

  it("first appearance is over all dumps: a type seen before the window is in the whole window", () => {
    const bytes = [1 * MiB, ...Array(12).fill(NaN), 2 * MiB];
    const v = verdictOf(bytes);
    expect(v.dumps).toBe(12);
    expect(v.lastBytes).toBe(2 * MiB);
  });

  it("types absent from every window dump get no verdict", () => {
    const dumps = dumpsFromBytes([1 * MiB, ...Array(12).fill(NaN)]);
    expect(leakVerdicts(dumps, SMALL)).toEqual([]);
  });

  it("sorts dumps by time and accepts Map rows", () => {
    const dumps: VerdictDump[] = linear(8, 10 * MiB, 1 * MiB).map((b, i) => ({
      time: 1e12 + i * MINUTE,
      types: new Map([["M", { count: b / 32, bytes: b }]]),
    }));
    const v = leakVerdicts([...dumps].reverse(), SMALL)[0]!;
    expect(v.suspect).toBe(true);
    expect(v.bytesSlopePerSecond).toBeCloseTo(MiB / 60, 6);
    expect(v.objectsSlopePerSecond).toBeCloseTo(MiB / 32 / 60, 6);
  });

  it("accepts DumpSummary objects as they are stored", () => {
    const summaries: DumpSummary[] = linear(7, 8 * MiB, 1 * MiB).map((b, i) => ({
      id: `d${i}`,
      target: "svc",
      time: 1e12 + i * MINUTE,
      source: "jvm",
      durationSeconds: 1,
      format: "jmap-histogram",
      totalObjects: b / 16,
      totalBytes: b,
      bytesExact: true,
      types: [{ type: "byte[]", count: b / 16, bytes: b }],
      notes: [],
    }));
    expect(leakVerdicts(summaries, SMALL)[0]).toMatchObject({ type: "byte[]", suspect: true, bytesExact: true });
  });

  it("puts suspects first, then by net growth", () => {
    const dumps = linear(12, 0, 1).map((_, i) => ({
      time: 1e12 + i * MINUTE,
      types: [
        { type: "flat", count: 10, bytes: 30 * MiB },
        { type: "slow", count: i, bytes: 30 * MiB + i * 10 * 1024 },
        { type: "leak", count: i, bytes: 10 * MiB + i * MiB },
      ],
    }));
    expect(leakVerdicts(dumps, SMALL).map((v) => [v.type, v.suspect])).toEqual([
      ["leak", true],
      ["slow", false],
      ["flat", false],
    ]);
  });

  it("seriesVerdict judges a series directly, using its last `window` points", () => {
    const points = linear(20, 5 * MiB, 1 * MiB).map((bytes, i) => ({ time: i * MINUTE, count: 1, bytes }));
    const v = seriesVerdict("X", points, SMALL);
    expect(v).toMatchObject({ type: "X", dumps: 12, suspect: true });
  });
});

describe("leak verdict — load and counts", () => {
  it("bytesPerRequest is the Theil–Sen slope of bytes against cumulative requests", () => {
    const requests = [0, 1000, 2500, 3000, 5000, 7000, 7500, 9000];
    const dumps = dumpsFromBytes(
      requests.map((r) => 4 * MiB + 200 * r),
      { requests },
    );
    const v = leakVerdicts(dumps, SMALL)[0]!;
    expect(v.bytesPerRequest).toBeCloseTo(200, 9);
    expect(v.growsWithoutLoad).toBeUndefined(); // no idle step
  });

  it("no bytesPerRequest when requests are unknown or constant", () => {
    expect(verdictOf(linear(8, MiB, MiB)).bytesPerRequest).toBeUndefined();
    const flat = leakVerdicts(dumpsFromBytes(linear(8, MiB, MiB), { requests: Array(8).fill(500) }), SMALL)[0]!;
    expect(flat.bytesPerRequest).toBeUndefined();
    expect(flat.growsWithoutLoad).toBe(true); // all steps idle, still growing
  });

  it("growsWithoutLoad separates growth during idle intervals from growth that follows traffic", () => {
    // Requests stop for dumps 4–7; bytes keep rising at the same pace: a leak not driven by load.
    const requests = [0, 100, 200, 300, 300, 300, 300, 300, 400, 500, 600, 700];
    const idle = leakVerdicts(dumpsFromBytes(linear(12, 10 * MiB, MiB), { requests }), SMALL)[0]!;
    expect(idle.growsWithoutLoad).toBe(true);
    expect(idle.idleGrowthBytes).toBeCloseTo(4 * MiB, 0);
    expect(idle.reason).toMatch(/grows without load/);
    // Bytes rise only when requests do: per-request retention, flat while idle.
    const perRequest = leakVerdicts(
      dumpsFromBytes(
        requests.map((r) => 10 * MiB + r * 10 * 1024),
        { requests },
      ),
      SMALL,
    )[0]!;
    expect(perRequest.growsWithoutLoad).toBe(false);
    expect(perRequest.bytesPerRequest).toBeCloseTo(10 * 1024, 6);
  });

  it("object counts are a second path only when minAbsoluteGrowthObjects is set", () => {
    // 20 000 more 16-byte objects per dump: +3.4 MiB count-wise, but the byte floor is set at 8 MiB.
    const dumps = linear(12, 0, 1).map((_, i) => ({
      time: 1e12 + i * MINUTE,
      types: [{ type: "Node", count: 100_000 + 20_000 * i, bytes: (100_000 + 20_000 * i) * 16 }],
    }));
    const bytesOnly = leakVerdicts(dumps, { minAbsoluteGrowthBytes: 8 * MiB })[0]!;
    expect(bytesOnly.suspect).toBe(false);
    expect(bytesOnly.mkPCount).toBeLessThan(0.01);
    const withCounts = leakVerdicts(dumps, { minAbsoluteGrowthBytes: 8 * MiB, minAbsoluteGrowthObjects: 50_000 })[0]!;
    expect(withCounts).toMatchObject({ suspect: true, suspectBy: "count" });
    expect(withCounts.netGrowthObjects).toBeCloseTo(220_000, 6);
    expect(withCounts.reason).toMatch(/^object count rising/);
  });

  it("marks estimated bytes", () => {
    const dumps = dumpsFromBytes(linear(8, MiB, MiB)).map((d) => ({ ...d, bytesExact: false }));
    const v = leakVerdicts(dumps, SMALL)[0]!;
    expect(v.bytesExact).toBe(false);
    expect(v.suspect).toBe(true);
    expect(v.reason).toMatch(/bytes estimated/);
  });
});

describe("leak verdict — options", () => {
  it("has the documented defaults", () => {
    expect(resolveVerdictOptions()).toEqual({
      window: 12,
      minDumps: 6,
      pValue: 0.01,
      minRelativeGrowth: 0.1,
      minAbsoluteGrowthBytes: MiB,
      minAbsoluteGrowthObjects: undefined,
      recentSlopeRatio: 0.5,
      earlySlopeRatio: 1 / 3,
      exactMaxN: 10,
      warmupSeconds: 0,
    });
  });

  it.each<VerdictOptions>([
    { window: 1 },
    { window: 2.5 },
    { minDumps: 0 },
    { pValue: 0 },
    { pValue: 2 },
    { minRelativeGrowth: -1 },
    { minAbsoluteGrowthBytes: NaN },
    { minAbsoluteGrowthObjects: -5 },
    { recentSlopeRatio: Infinity },
    { earlySlopeRatio: -0.1 },
  ])("rejects %j", (o) => {
    expect(() => leakVerdicts([], o)).toThrow(RangeError);
  });

  it("a window smaller than minDumps can never produce a suspect", () => {
    expect(verdictOf(linear(20, MiB, MiB), { ...SMALL, window: 5 }).suspect).toBe(false);
  });
});

describe("the flat-series shortcut", () => {
  it("gives exactly what the trend tests give for a flat series", () => {
    const opts = resolveVerdictOptions({ minAbsoluteGrowthBytes: 0, minRelativeGrowth: 0, pValue: 1 });
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 1e9 }), fc.constant(0), fc.constant(-0), fc.double({ noNaN: true, noDefaultInfinity: true })),
        fc.array(fc.integer({ min: 0, max: 3600 }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (y, gaps, sorted) => {
          let t = 0;
          const xs = gaps.map((g) => (t += sorted ? g : g - 1800));
          const ys = xs.map(() => y);
          expect(checkTrend(xs, ys, 0, opts)).toEqual(checkTrend(xs, ys, 0, opts, false));
          for (const floor of [Infinity, 1])
            expect(checkTrend(xs, ys, floor, resolveVerdictOptions())).toEqual(checkTrend(xs, ys, floor, resolveVerdictOptions(), false));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
