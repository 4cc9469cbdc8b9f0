import { describe, expect, it } from "vitest";
import { exactInversionDistribution, mannKendall } from "../../../src/analysis/mann-kendall.js";
import { mulberry32 } from "../../../src/analysis/prng.js";

/** S by definition. */
function sStatistic(v: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) for (let j = i + 1; j < v.length; j++) s += Math.sign(v[j]! - v[i]!);
  return s;
}

/** Every permutation of v (with repeats for tied values: each of the n! orders is equally likely under H0). */
function permutations(v: readonly number[]): number[][] {
  if (v.length <= 1) return [[...v]];
  const out: number[][] = [];
  for (let i = 0; i < v.length; i++) {
    const rest = [...v.slice(0, i), ...v.slice(i + 1)];
    for (const p of permutations(rest)) out.push([v[i]!, ...p]);
  }
  return out;
}

describe("mannKendall — known values", () => {
  it("n = 6 strictly increasing: S = 15, exact one-sided p = 1/720", () => {
    const r = mannKendall([1, 2, 3, 4, 5, 6]);
    expect(r.n).toBe(6);
    expect(r.s).toBe(15);
    expect(r.varS).toBeCloseTo((6 * 5 * 17) / 18, 12);
    expect(r.exact).toBe(true);
    expect(r.pIncreasing).toBeCloseTo(1 / 720, 15);
    expect(r.pDecreasing).toBe(1);
    expect(r.pTwoSided).toBeCloseTo(2 / 720, 15);
    expect(r.tau).toBe(1);
    expect(r.z).toBeCloseTo(14 / Math.sqrt((6 * 5 * 17) / 18), 12);
  });

  it("n = 6 strictly decreasing mirrors it", () => {
    const r = mannKendall([6, 5, 4, 3, 2, 1]);
    expect(r.s).toBe(-15);
    expect(r.pIncreasing).toBe(1);
    expect(r.pDecreasing).toBeCloseTo(1 / 720, 15);
    expect(r.tau).toBe(-1);
  });

  it("the normal approximation for n = 6 would be off by a factor of 3 (why small n is exact)", () => {
    const approx = mannKendall([1, 2, 3, 4, 5, 6], { exactMaxN: 0 });
    expect(approx.exact).toBe(false);
    expect(approx.pIncreasing).toBeCloseTo(0.00426746020711354, 12);
  });

  it("n = 4, one swap: S = 4, P(S ≥ 4) = (1 + 3)/24 by the Mahonian numbers 1,3,5,6,5,3,1", () => {
    const r = mannKendall([1, 3, 2, 4]);
    expect(r.s).toBe(4);
    expect(r.pIncreasing).toBeCloseTo(4 / 24, 15);
    expect(r.pDecreasing).toBeCloseTo((24 - 1) / 24, 15);
    expect(r.pTwoSided).toBeCloseTo(8 / 24, 15);
    expect(r.tau).toBeCloseTo(4 / 6, 15);
  });

  it("the inversion distribution for n = 5 is the Mahonian row 1,4,9,15,20,22,20,15,9,4,1", () => {
    const d = exactInversionDistribution(5);
    const row: number[] = [];
    for (let k = 0; k <= 10; k++) row.push(Math.round((d.atMost(k) - d.atMost(k - 1)) * 120));
    expect(row).toEqual([1, 4, 9, 15, 20, 22, 20, 15, 9, 4, 1]);
  });

  it("n = 12 strictly increasing uses the normal approximation: Z = 65/√212.67, p = 4.1516e-6", () => {
    const r = mannKendall(Array.from({ length: 12 }, (_, i) => i));
    expect(r.exact).toBe(false);
    expect(r.s).toBe(66);
    expect(r.varS).toBeCloseTo((12 * 11 * 29) / 18, 10);
    expect(r.z).toBeCloseTo(4.45721562860432, 12);
    expect(r.pIncreasing / 4.151553676782367e-6).toBeCloseTo(1, 10);
  });

  it("ties correction: groups of 2 and 3 in n = 12 give Var(S) = (3828 − 18 − 66)/18 = 208", () => {
    const r = mannKendall([1, 2, 2, 3, 3, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.s).toBe(62);
    expect(r.varS).toBeCloseTo(208, 10);
    expect(r.z).toBeCloseTo(61 / Math.sqrt(208), 12);
    expect(r.pIncreasing / 1.1705932399386557e-5).toBeCloseTo(1, 10);
    expect(r.pTwoSided / 2.3411864798773113e-5).toBeCloseTo(1, 10);
    // tau-b: S / √(N · (N − tied pairs)) = 62 / √(66 · 62)
    expect(r.tau).toBeCloseTo(62 / Math.sqrt(66 * 62), 12);
  });

  it("exact with ties: [1, 1, 2] has 3 arrangements, P(S ≥ 2) = 1/3", () => {
    const r = mannKendall([1, 1, 2]);
    expect(r.s).toBe(2);
    expect(r.pIncreasing).toBeCloseTo(1 / 3, 15);
    expect(r.tau).toBeCloseTo(2 / Math.sqrt(3 * 2), 12);
  });

  it("degenerate series: p = 1, S = 0, tau = 0", () => {
    for (const v of [[], [5], [3, 3, 3], Array(20).fill(7)]) {
      const r = mannKendall(v);
      expect(r).toMatchObject({ s: 0, z: 0, tau: 0, pIncreasing: 1, pDecreasing: 1, pTwoSided: 1 });
    }
    expect(mannKendall([1, 2]).pIncreasing).toBe(0.5);
  });

  it("drops non-finite values", () => {
    expect(mannKendall([1, NaN, 2, Infinity, 3]).n).toBe(3);
  });
});

describe("mannKendall — exact distribution equals brute force over all orderings", () => {
  const rand = mulberry32(42);
  const cases: number[][] = [];
  for (let c = 0; c < 24; c++) {
    const n = 2 + Math.floor(rand() * 6); // 2..7
    const distinct = 1 + Math.floor(rand() * n); // allows heavy ties
    cases.push(Array.from({ length: n }, () => Math.floor(rand() * distinct)));
  }
  cases.push([1, 2, 3, 4, 5, 6, 7, 8]); // 40320 orderings, no ties

  it.each(cases.map((c) => [c.join(","), c] as const))("%s", (_, v) => {
    const s = sStatistic(v);
    const all = permutations(v).map(sStatistic);
    const pUp = all.filter((x) => x >= s).length / all.length;
    const pDown = all.filter((x) => x <= s).length / all.length;
    const pTwo = all.filter((x) => Math.abs(x) >= Math.abs(s)).length / all.length;
    const r = mannKendall(v);
    expect(r.s).toBe(s);
    expect(r.exact).toBe(true);
    if (all.every((x) => x === 0)) return; // all tied: p = 1 by definition
    expect(r.pIncreasing).toBeCloseTo(pUp, 12);
    expect(r.pDecreasing).toBeCloseTo(pDown, 12);
    expect(r.pTwoSided).toBeCloseTo(pTwo, 12);
  });

  it("exact and normal p-values roughly agree at n = 10", () => {
    const rand2 = mulberry32(7);
    for (let k = 0; k < 50; k++) {
      const v = Array.from({ length: 10 }, (_, i) => i * 0.3 + rand2() * 2);
      const exact = mannKendall(v).pIncreasing;
      const approx = mannKendall(v, { exactMaxN: 0 }).pIncreasing;
      expect(Math.abs(exact - approx)).toBeLessThan(0.02);
    }
  });
});
