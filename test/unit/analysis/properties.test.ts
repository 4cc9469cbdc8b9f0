import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TypeSelector } from "../../../src/analysis/cardinality.js";
import { diffDumps } from "../../../src/analysis/diff.js";
import { mannKendall } from "../../../src/analysis/mann-kendall.js";
import { increaseStreak } from "../../../src/analysis/streak.js";
import { theilSen } from "../../../src/analysis/theil-sen.js";
import { leakVerdicts, type VerdictDump, type VerdictOptions } from "../../../src/analysis/verdict.js";

const RUNS = { numRuns: 200, seed: 20261122 };

/** Any finite double, extremes included. */
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const moderate = fc.double({ min: -1e6, max: 1e6, noNaN: true });

/** Throws unless every number inside `value` is finite. */
function assertAllFinite(value: unknown, path = "$"): void {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`${path} = ${value}`);
  } else if (Array.isArray(value)) for (const [i, v] of value.entries()) assertAllFinite(v, `${path}[${i}]`);
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) assertAllFinite(v, `${path}.${k}`);
}

const inUnit = (p: number): boolean => p >= 0 && p <= 1;

describe("Theil–Sen properties", () => {
  it("the slope of y = a·x + b is a", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 2, maxLength: 40 }), moderate, moderate, (x, a, b) => {
        const r = theilSen(
          x,
          x.map((v) => a * v + b),
        );
        expect(Math.abs(r.slope - a)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(a) + Math.abs(b)));
      }),
      RUNS,
    );
  });

  it("the slope does not change when a constant is added to y (and the intercept moves by it)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), moderate), { maxLength: 40 }), moderate, (pts, c) => {
        const x = pts.map((p) => p[0]);
        const y = pts.map((p) => p[1]);
        const r0 = theilSen(x, y);
        const r1 = theilSen(
          x,
          y.map((v) => v + c),
        );
        const tol = 1e-6 * (1 + Math.abs(c) + y.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
        expect(Math.abs(r1.slope - r0.slope)).toBeLessThanOrEqual(tol);
        if (r0.pairs === 0) expect(r1.slope).toBe(0);
      }),
      RUNS,
    );
  });

  it("outputs are finite for any finite input (duplicate x, n = 0, 1, 2, extremes)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(finite, finite), { maxLength: 30 }), (pts) => {
        assertAllFinite(
          theilSen(
            pts.map((p) => p[0]),
            pts.map((p) => p[1]),
          ),
        );
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 1, 1, 2), { maxLength: 10 }), fc.array(finite, { maxLength: 10 }), (x, y) => {
        const n = Math.min(x.length, y.length);
        assertAllFinite(theilSen(x.slice(0, n), y.slice(0, n)));
      }),
      RUNS,
    );
  });
});

describe("Mann–Kendall properties", () => {
  it("p-values are in [0, 1], tau in [−1, 1], everything finite, for any finite series", () => {
    fc.assert(
      fc.property(fc.array(finite, { maxLength: 40 }), fc.integer({ min: 0, max: 18 }), (v, exactMaxN) => {
        const r = mannKendall(v, { exactMaxN });
        assertAllFinite(r);
        expect(inUnit(r.pIncreasing) && inUnit(r.pDecreasing) && inUnit(r.pTwoSided)).toBe(true);
        expect(Math.abs(r.tau)).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });

  it("heavily tied and constant series stay well-defined", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 1, 2), { maxLength: 25 }), (v) => {
        const r = mannKendall(v);
        assertAllFinite(r);
        expect(inUnit(r.pIncreasing) && inUnit(r.pTwoSided)).toBe(true);
      }),
      RUNS,
    );
  });

  it("is invariant to adding a constant and antisymmetric under negation", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 25 }), fc.integer({ min: -1e6, max: 1e6 }), (v, c) => {
        const r = mannKendall(v);
        expect(mannKendall(v.map((x) => x + c))).toEqual(r);
        const neg = mannKendall(v.map((x) => -x));
        expect(neg.s).toBe(-r.s || 0);
        expect(neg.pIncreasing).toBeCloseTo(r.pDecreasing, 12);
      }),
      RUNS,
    );
  });
});

describe("streak properties", () => {
  it("0 ≤ increases ≤ steps ≤ n − 1 and start + steps = n − 1", () => {
    fc.assert(
      fc.property(fc.array(finite, { maxLength: 30 }), (v) => {
        const r = increaseStreak(v);
        expect(r.increases).toBeGreaterThanOrEqual(0);
        expect(r.increases).toBeLessThanOrEqual(r.steps);
        if (v.length > 0) expect(r.start + r.steps).toBe(v.length - 1);
      }),
      RUNS,
    );
  });
});

const TYPES = ["A", "B", "C", "D", "E"];
const rowsArb = fc.array(fc.record({ type: fc.constantFrom(...TYPES), count: finite, bytes: finite }), { maxLength: 6 });
const dumpsArb = fc.array(
  fc.record(
    { time: fc.oneof(finite, fc.integer({ min: 0, max: 1e6 })), types: rowsArb, requests: fc.oneof(finite, fc.nat(100)), bytesExact: fc.boolean() },
    { requiredKeys: ["time", "types"] },
  ),
  { maxLength: 16 },
) as fc.Arbitrary<VerdictDump[]>;
const optionsArb: fc.Arbitrary<VerdictOptions> = fc.record(
  {
    window: fc.integer({ min: 2, max: 14 }),
    minDumps: fc.integer({ min: 2, max: 8 }),
    pValue: fc.double({ min: 1e-6, max: 1, noNaN: true }),
    minRelativeGrowth: fc.double({ min: 0, max: 2, noNaN: true }),
    minAbsoluteGrowthBytes: fc.double({ min: 0, max: 1e9, noNaN: true }),
    minAbsoluteGrowthObjects: fc.double({ min: 0, max: 1e6, noNaN: true }),
  },
  { requiredKeys: [] },
);

describe("verdict, diff and selector properties", () => {
  it("leak verdicts: no NaN or Infinity anywhere, p-values in [0, 1], for any finite dumps", () => {
    fc.assert(
      fc.property(dumpsArb, optionsArb, (dumps, options) => {
        const verdicts = leakVerdicts(dumps, options);
        assertAllFinite(verdicts);
        for (const v of verdicts) {
          expect(inUnit(v.mkP) && inUnit(v.mkPCount)).toBe(true);
          expect(v.dumps).toBeLessThanOrEqual(options.window ?? 12);
          expect(typeof v.reason).toBe("string");
          if (v.suspect) expect(v.dumps).toBeGreaterThanOrEqual(options.minDumps ?? 6);
        }
      }),
      RUNS,
    );
  });

  it("diff rows are finite and every type of either dump appears once", () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, (a, b) => {
        const rows = diffDumps(a, b);
        assertAllFinite(rows.map((r) => ({ ...r, ratio: r.ratio ?? 0 })));
        expect(rows.map((r) => r.type).sort()).toEqual([...new Set([...a, ...b].map((r) => r.type))].sort());
        for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.deltaBytes).toBeGreaterThanOrEqual(rows[i]!.deltaBytes);
      }),
      RUNS,
    );
  });

  it("the selector is sticky and bounded over random dump sequences", () => {
    const growthArb = fc.array(fc.record({ type: fc.constantFrom(...TYPES), suspect: fc.boolean(), netGrowthBytes: finite }), {
      maxLength: 5,
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.array(fc.tuple(rowsArb, growthArb), { maxLength: 12 }), (maxTypes, steps) => {
        const sel = new TypeSelector(maxTypes, { dropAfterAbsent: 2, maxSuspectOverflow: 1 });
        let previous: string[] = [];
        for (const [rows, growth] of steps) {
          const s = sel.select(rows, growth);
          assertAllFinite(s.other);
          expect(s.tracked.length).toBeLessThanOrEqual(maxTypes + 1);
          expect(new Set(s.tracked).size).toBe(s.tracked.length);
          // A type leaves only by being dropped for absence.
          for (const t of previous) if (!s.tracked.includes(t)) expect(s.dropped).toContain(t);
          const present = new Set(rows.filter((r) => r.count !== 0 || r.bytes !== 0).map((r) => r.type));
          for (const t of s.dropped) expect(present.has(t)).toBe(false);
          previous = s.tracked;
        }
      }),
      RUNS,
    );
  });
});
