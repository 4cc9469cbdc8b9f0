import { describe, expect, it } from "vitest";
import { erf, erfc, normalCdf, normalSf } from "../../../src/analysis/normal.js";

// Reference values from the C library (Python's math.erf / math.erfc).
const REFERENCE: [x: number, erf: number, erfc: number][] = [
  [0.1, 0.1124629160182849, 0.8875370839817152],
  [0.5, 0.5204998778130465, 0.4795001221869535],
  [1, 0.8427007929497149, 0.15729920705028513],
  [1.5, 0.9661051464753108, 0.033894853524689274],
  [2, 0.9953222650189527, 0.004677734981047265],
  [2.5, 0.999593047982555, 0.0004069520174449589],
  [3, 0.9999779095030014, 2.2090496998585438e-5],
  [4, 0.9999999845827421, 1.541725790028002e-8],
  [5, 0.9999999999984626, 1.5374597944280351e-12],
  [6, 1, 2.1519736712498916e-17],
  [10, 1, 2.088487583762545e-45],
  [-0.5, -0.5204998778130465, 1.5204998778130465],
  [-2, -0.9953222650189527, 1.9953222650189528],
];

describe("erf / erfc", () => {
  it.each(REFERENCE)("x = %d matches the C library", (x, e, c) => {
    expect(Math.abs(erf(x) - e)).toBeLessThan(2e-16 * 8);
    // erfc keeps relative accuracy deep into the tail.
    expect(Math.abs(erfc(x) - c) / c).toBeLessThan(1e-14);
  });

  it("handles 0, infinities, NaN and underflow", () => {
    expect(erf(0)).toBe(0);
    expect(erfc(0)).toBe(1);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfc(40)).toBe(0);
    expect(erfc(-40)).toBe(2);
    expect(erf(NaN)).toBeNaN();
    expect(erfc(NaN)).toBeNaN();
  });

  it("is odd / complementary on a grid", () => {
    for (let x = -6; x <= 6; x += 0.173) {
      expect(erf(-x)).toBeCloseTo(-erf(x), 15);
      expect(erf(x) + erfc(x)).toBeCloseTo(1, 15);
    }
  });
});

describe("normal distribution", () => {
  it("matches known quantiles", () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 15);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 15);
    expect(normalSf(5) / 2.866515718791946e-7).toBeCloseTo(1, 12);
    expect(normalSf(8) / 6.220960574271819e-16).toBeCloseTo(1, 12);
  });

  it("Φ(z) + Φ(−z) = 1 and sf = 1 − cdf", () => {
    for (let z = -8; z <= 8; z += 0.25) {
      expect(normalCdf(z) + normalCdf(-z)).toBeCloseTo(1, 15);
      expect(normalSf(z)).toBeCloseTo(1 - normalCdf(z), 15);
    }
  });
});
