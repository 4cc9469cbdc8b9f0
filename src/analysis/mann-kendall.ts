// Mann–Kendall trend test: is there a monotonic trend in a series taken in order?
//
//   S      = Σ_{i<j} sign(v_j − v_i)
//   Var(S) = [n(n−1)(2n+5) − Σ_t t(t−1)(2t+5)] / 18          (t = size of each group of tied values)
//   Z      = (S − 1)/√Var if S > 0,  0 if S = 0,  (S + 1)/√Var if S < 0   (continuity correction)
//   tau    = Kendall's tau-b between position and value = S / √(N·(N − Σ_t t(t−1)/2)), N = n(n−1)/2
//            (equals tau-a = S/N when there are no ties).
//
// p-values. For n ≤ `exactMaxN` (default 10) the normal approximation is poor (n = 6 strictly increasing: the
// normal approximation gives p ≈ 0.0047, the truth is 1/720 ≈ 0.0014), so the null distribution of S is
// computed exactly: under H0 every ordering of the observed values is equally likely, and S = Nd − 2·inv where
// inv counts inversions (pairs i<j with v_i > v_j) and Nd = N − Σ_t t(t−1)/2 counts pairs of distinct values.
// The number of distinct arrangements of a multiset with k inversions is the coefficient of q^k in the
// q-multinomial [n]_q! / Π_t [t]_q! (MacMahon); without ties that is the Mahonian numbers, i.e. the classic
// dynamic programme over permutation inversions (multiply by [k]_q = 1 + q + … + q^(k−1) for k = 1..n). Ties
// are handled exactly by dividing by [t]_q! for each tie group. Coefficients are integers ≤ n! (exact in
// doubles up to n = 18), so `exactMaxN` is capped at 18. Above it: the normal approximation with the ties
// correction and Z as above: pIncreasing = 1 − Φ(Z), pDecreasing = Φ(Z), pTwoSided = 2·(1 − Φ(|Z|)).
//
// Degenerate input: n < 2, or every value tied (Var(S) = 0): S is identically 0 under H0, so S = 0, Z = 0,
// tau = 0 and every p-value is 1 (no evidence of a trend in either direction).
// Non-finite values are dropped before the test. Cost: O(n²) for S; fine for the windows used here (n ≤ a few
// hundred).

import { normalCdf, normalSf } from "./normal.js";

export interface MannKendallOptions {
  /** Largest n for which the exact null distribution is used (default 10, at most 18). */
  exactMaxN?: number;
}

export interface MannKendallResult {
  /** Number of (finite) values tested. */
  n: number;
  /** Mann–Kendall S statistic. */
  s: number;
  /** Variance of S under H0, with the ties correction. */
  varS: number;
  /** Normal score with continuity correction (reported even when the p-values are exact). */
  z: number;
  /** One-sided p-value for an increasing trend: P(S ≥ s) under H0. */
  pIncreasing: number;
  /** One-sided p-value for a decreasing trend: P(S ≤ s) under H0. */
  pDecreasing: number;
  /** Two-sided p-value: P(|S| ≥ |s|) under H0. */
  pTwoSided: number;
  /** Kendall's tau-b between order and value, in [−1, 1]. */
  tau: number;
  /** True when the p-values come from the exact null distribution, false when from the normal approximation. */
  exact: boolean;
}

export const DEFAULT_EXACT_MAX_N = 10;
const EXACT_MAX_N_LIMIT = 18;

/** Runs the Mann–Kendall test on `values` taken in the given order. */
export function mannKendall(values: readonly number[], options: MannKendallOptions = {}): MannKendallResult {
  const exactMaxN = Math.min(EXACT_MAX_N_LIMIT, Math.max(0, Math.floor(options.exactMaxN ?? DEFAULT_EXACT_MAX_N)));
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;

  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    const vi = v[i]!;
    for (let j = i + 1; j < n; j++) {
      const d = v[j]! - vi;
      if (d > 0) s++;
      else if (d < 0) s--;
    }
  }

  const ties = tieSizes(v);
  let tieTerm = 0;
  let tiedPairs = 0;
  for (const t of ties) {
    tieTerm += t * (t - 1) * (2 * t + 5);
    tiedPairs += (t * (t - 1)) / 2;
  }
  const varS = Math.max(0, (n * (n - 1) * (2 * n + 5) - tieTerm) / 18);
  const pairs = (n * (n - 1)) / 2;
  const distinctPairs = pairs - tiedPairs;

  if (n < 2 || varS === 0 || distinctPairs === 0) {
    return { n, s: 0, varS: 0, z: 0, pIncreasing: 1, pDecreasing: 1, pTwoSided: 1, tau: 0, exact: true };
  }

  const sd = Math.sqrt(varS);
  const z = s > 0 ? (s - 1) / sd : s < 0 ? (s + 1) / sd : 0;
  const tau = clamp(s / Math.sqrt(pairs * distinctPairs), -1, 1);

  if (n <= exactMaxN) {
    const dist = exactInversionDistribution(n, ties);
    // S = Nd − 2·inv  ⇒  S ≥ s ⇔ inv ≤ (Nd − s)/2, and S ≤ s ⇔ inv ≥ (Nd − s)/2.
    const k = Math.round((distinctPairs - s) / 2);
    const pIncreasing = dist.atMost(k);
    const pDecreasing = dist.atLeast(k);
    const pTwoSided = s === 0 ? 1 : Math.min(1, 2 * Math.min(pIncreasing, pDecreasing));
    return { n, s, varS, z, pIncreasing, pDecreasing, pTwoSided, tau, exact: true };
  }

  return {
    n,
    s,
    varS,
    z,
    pIncreasing: clamp(normalSf(z), 0, 1),
    pDecreasing: clamp(normalCdf(z), 0, 1),
    pTwoSided: clamp(2 * normalSf(Math.abs(z)), 0, 1),
    tau,
    exact: false,
  };
}

/** Sizes (> 1) of the groups of exactly equal values. */
function tieSizes(v: readonly number[]): number[] {
  const sorted = Float64Array.from(v).sort();
  const out: number[] = [];
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      if (run > 1) out.push(run);
      run = 1;
    }
  }
  return out;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/** The null distribution of the inversion count of a random arrangement of a multiset. */
export interface InversionDistribution {
  /** P(inv ≤ k). */
  atMost(k: number): number;
  /** P(inv ≥ k). */
  atLeast(k: number): number;
}

const cache = new Map<string, InversionDistribution>();
const CACHE_LIMIT = 512;

/**
 * Exact distribution of the number of inversions of a uniformly random arrangement of n items whose tie groups
 * have the given sizes: coefficients of [n]_q! / Π_t [t]_q!. Memoised by (n, tie sizes).
 */
export function exactInversionDistribution(n: number, ties: readonly number[] = []): InversionDistribution {
  const key = `${n}:${[...ties].sort((a, b) => a - b).join(",")}`;
  const hit = cache.get(key);
  if (hit) return hit;

  let poly: number[] = [1];
  for (let k = 2; k <= n; k++) poly = multiplyByQInteger(poly, k);
  for (const t of ties) for (let k = 2; k <= t; k++) poly = divideByQInteger(poly, k);

  let total = 0;
  for (const c of poly) total += c;
  const below = new Float64Array(poly.length + 1); // below[k] = Σ_{i<k} coef[i]
  for (let i = 0; i < poly.length; i++) below[i + 1] = below[i]! + poly[i]!;
  const maxK = poly.length - 1;

  const dist: InversionDistribution = {
    atMost(k) {
      if (k < 0) return 0;
      if (k >= maxK) return 1;
      return below[k + 1]! / total;
    },
    atLeast(k) {
      if (k <= 0) return 1;
      if (k > maxK) return 0;
      return (total - below[k]!) / total;
    },
  };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, dist);
  return dist;
}

/** poly × (1 + q + … + q^(k−1)). */
function multiplyByQInteger(poly: readonly number[], k: number): number[] {
  const out = new Array<number>(poly.length + k - 1).fill(0);
  let window = 0;
  for (let i = 0; i < out.length; i++) {
    if (i < poly.length) window += poly[i]!;
    if (i - k >= 0 && i - k < poly.length) window -= poly[i - k]!;
    out[i] = window;
  }
  return out;
}

/** poly ÷ (1 + q + … + q^(k−1)), which must divide exactly: q[i] = p[i] − Σ_{j=1}^{k−1} q[i−j]. */
function divideByQInteger(poly: readonly number[], k: number): number[] {
  const len = poly.length - (k - 1);
  const out = new Array<number>(len).fill(0);
  let window = 0; // Σ of the last k−1 quotient coefficients
  for (let i = 0; i < len; i++) {
    const qi = poly[i]! - window;
    out[i] = qi;
    window += qi;
    if (i - (k - 1) >= 0) window -= out[i - (k - 1)]!;
  }
  return out;
}
