// Theil–Sen estimator: a straight-line fit that ignores up to ~29% of outliers.
//
//   slope     = median over all pairs i<j with x_i ≠ x_j of (y_j − y_i)/(x_j − x_i)
//   intercept = median over all points of (y_i − slope·x_i)
//
// x is arbitrary (seconds, cumulative request counts…) and need not be sorted or distinct: pairs with equal x
// carry no slope and are skipped. With fewer than two distinct x the slope is 0 and the intercept is the median
// of y. Points with a non-finite coordinate are ignored.
//
// Cost: all n(n−1)/2 pairs while that is ≤ `maxPairs` (default 50 000, i.e. n ≤ 316 — a verdict window is 12),
// O(n² log n). Above that, `maxPairs` pairs are drawn at random with a fixed seed, so the result is a
// deterministic, unbiased estimate of the full median rather than the exact value.
//
// Every output is finite for finite input: differences are formed as a/2 − b/2 so they cannot overflow, and a
// slope or intercept that would overflow is clamped to ±Number.MAX_VALUE.

import { clampFinite } from "./finite.js";
import { median, medianOfSorted } from "./median.js";
import { mulberry32 } from "./prng.js";

export interface TheilSenOptions {
  /** Largest number of pairs examined exactly; above it pairs are sampled (default 50 000). */
  maxPairs?: number;
}

export interface TheilSenResult {
  /** Median pairwise slope (y units per x unit); 0 when fewer than two distinct x. */
  slope: number;
  /** Median of y − slope·x: the fitted y at x = 0. */
  intercept: number;
  /** Points used (both coordinates finite). */
  n: number;
  /** Pairs whose slope entered the median (distinct x). */
  pairs: number;
  /** True when the pairs were sampled because there were more than `maxPairs`. */
  sampled: boolean;
}

export const DEFAULT_MAX_PAIRS = 50_000;

/** Theil–Sen fit of y against x. Throws RangeError when x and y differ in length. */
export function theilSen(x: readonly number[], y: readonly number[], options: TheilSenOptions = {}): TheilSenResult {
  if (x.length !== y.length) throw new RangeError(`theilSen: x has ${x.length} values, y has ${y.length}`);
  const maxPairs = Math.max(1, Math.floor(options.maxPairs ?? DEFAULT_MAX_PAIRS));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      xs.push(x[i]!);
      ys.push(y[i]!);
    }
  }
  const n = xs.length;
  const total = (n * (n - 1)) / 2;
  const sampled = total > maxPairs;
  const slopes = new Float64Array(sampled ? maxPairs : total);
  let m = 0;

  const add = (i: number, j: number): void => {
    const dx = xs[j]! / 2 - xs[i]! / 2;
    if (dx === 0) return;
    slopes[m++] = clampFinite((ys[j]! / 2 - ys[i]! / 2) / dx);
  };

  if (!sampled) {
    for (let i = 0; i < n - 1; i++) for (let j = i + 1; j < n; j++) add(i, j);
  } else {
    const rand = mulberry32(0x5eed);
    for (let draws = 0; draws < maxPairs; draws++) {
      const i = Math.floor(rand() * n);
      let j = Math.floor(rand() * (n - 1));
      if (j >= i) j++;
      add(Math.min(i, j), Math.max(i, j));
    }
  }

  const slope = m === 0 ? 0 : clampFinite(medianOfSorted(slopes.subarray(0, m).sort()));
  const residuals = new Float64Array(n);
  for (let i = 0; i < n; i++) residuals[i] = clampFinite(ys[i]! - clampFinite(slope * xs[i]!));
  const intercept = clampFinite(median(residuals));
  return { slope, intercept, n, pairs: m, sampled };
}
