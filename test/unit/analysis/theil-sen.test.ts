import { describe, expect, it } from "vitest";
import { median } from "../../../src/analysis/median.js";
import { theilSen } from "../../../src/analysis/theil-sen.js";
import { gaussian } from "./synthetic.js";

describe("theilSen", () => {
  it("fits an exact line", () => {
    const x = [0, 1, 2, 3, 4, 5];
    const r = theilSen(
      x,
      x.map((v) => 3 * v - 2),
    );
    expect(r.slope).toBe(3);
    expect(r.intercept).toBe(-2);
    expect(r.pairs).toBe(15);
    expect(r.sampled).toBe(false);
  });

  it("ignores outliers that pull least squares far off", () => {
    const x = Array.from({ length: 20 }, (_, i) => i * 60);
    const y = x.map((v) => 1000 + 2 * v);
    // 5 of 20 points (25%) wildly off, both ways.
    y[3] = 1e9;
    y[7] = -5e8;
    y[12] = 3e9;
    y[18] = 0;
    y[19] = 7e8;
    const r = theilSen(x, y);
    expect(r.slope).toBeCloseTo(2, 9);
    expect(r.intercept).toBeCloseTo(1000, 6);
    // Least squares for comparison: nowhere near 2.
    const mx = x.reduce((a, b) => a + b) / x.length;
    const my = y.reduce((a, b) => a + b) / y.length;
    let sxy = 0;
    let sxx = 0;
    x.forEach((v, i) => {
      sxy += (v - mx) * (y[i]! - my);
      sxx += (v - mx) ** 2;
    });
    expect(Math.abs(sxy / sxx - 2)).toBeGreaterThan(1000);
  });

  it("handles arbitrary, unsorted and duplicate x (pairs with equal x are skipped)", () => {
    const x = [10, 0, 10, 5, 0];
    const y = [21, 1, 21, 11, 1];
    const r = theilSen(x, y);
    expect(r.slope).toBe(2);
    expect(r.intercept).toBe(1);
    expect(r.pairs).toBe(8); // 10 pairs minus (0,0) and (10,10)
  });

  it("with fewer than two distinct x: slope 0, intercept = median y", () => {
    expect(theilSen([], [])).toMatchObject({ slope: 0, intercept: 0, n: 0, pairs: 0 });
    expect(theilSen([4], [9])).toMatchObject({ slope: 0, intercept: 9, n: 1 });
    expect(theilSen([4, 4, 4], [1, 7, 3])).toMatchObject({ slope: 0, intercept: 3, pairs: 0 });
  });

  it("ignores points with a non-finite coordinate", () => {
    const r = theilSen([0, 1, NaN, 3, 4], [0, 2, 5, Infinity, 8]);
    expect(r.n).toBe(3);
    expect(r.slope).toBe(2);
  });

  it("rejects x and y of different lengths", () => {
    expect(() => theilSen([1, 2], [1])).toThrow(RangeError);
  });

  it("samples pairs deterministically above maxPairs and stays close to the true slope", () => {
    const g = gaussian(3);
    const x = Array.from({ length: 600 }, (_, i) => i);
    const y = x.map((v) => 5 * v + 100 * g());
    const a = theilSen(x, y, { maxPairs: 20_000 });
    const b = theilSen(x, y, { maxPairs: 20_000 });
    expect(a.sampled).toBe(true);
    expect(a.pairs).toBeLessThanOrEqual(20_000);
    expect(a).toEqual(b);
    expect(a.slope).toBeCloseTo(5, 0);
    const full = theilSen(x, y, { maxPairs: 1e6 });
    expect(full.sampled).toBe(false);
    expect(Math.abs(a.slope - full.slope)).toBeLessThan(0.05);
  });
});

describe("median", () => {
  it("odd, even, empty, non-finite", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBe(0);
    expect(median([NaN, 5, Infinity])).toBe(5);
    expect(median([Number.MAX_VALUE, Number.MAX_VALUE])).toBe(Number.MAX_VALUE);
  });
});
