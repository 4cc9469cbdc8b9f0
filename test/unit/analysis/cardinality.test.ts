import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type GrowthInfo, TypeSelector } from "../../../src/analysis/cardinality.js";
import { toTypeMap } from "../../../src/analysis/rows.js";
import type { TypeRow } from "../../../src/model/summary.js";

const row = (type: string, bytes: number, count = 1): TypeRow => ({ type, count, bytes });

describe("TypeSelector", () => {
  it("fills free slots half by growth, half by bytes, and sums the rest into (other)", () => {
    const sel = new TypeSelector(4);
    const rows = [row("A", 1000, 10), row("B", 900, 9), row("C", 800, 8), row("D", 700, 7), row("E", 10, 1), row("F", 5, 1)];
    const growth = [
      { type: "E", netGrowthBytes: 500 },
      { type: "F", netGrowthBytes: 300 },
      { type: "D", netGrowthBytes: -50 },
    ];
    const s = sel.select(rows, growth);
    expect(new Set(s.tracked)).toEqual(new Set(["E", "F", "A", "B"]));
    expect(s.tracked).toEqual(["A", "B", "E", "F"]); // by bytes
    expect(s.other).toEqual({ count: 15, bytes: 1500 });
    expect(s.added.sort()).toEqual(["A", "B", "E", "F"]);
    expect(s.dropped).toEqual([]);
  });

  it("growth slots that find no growing type go to bytes", () => {
    const s = new TypeSelector(3).select([row("A", 3), row("B", 2), row("C", 1), row("D", 0.5)]);
    expect(s.tracked).toEqual(["A", "B", "C"]);
  });

  it("is sticky: a tracked type stays while bigger newcomers wait for a free slot", () => {
    const sel = new TypeSelector(2);
    sel.select([row("A", 100), row("B", 90), row("C", 1)]);
    const s = sel.select([row("A", 1), row("B", 2), row("C", 1_000_000)]);
    expect(s.tracked).toEqual(["B", "A"]);
    expect(s.other.bytes).toBe(1_000_000);
    expect(s.added).toEqual([]);
  });

  it("drops a type after it was absent from 3 consecutive selections, then refills its slot", () => {
    const sel = new TypeSelector(2);
    sel.select([row("A", 100), row("B", 90), row("C", 1)]);
    const withoutB = [row("A", 100), row("C", 50)];
    expect(sel.select(withoutB).tracked).toContain("B"); // absent 1
    expect(sel.select([...withoutB, row("B", 0, 0)]).tracked).toContain("B"); // an empty row is absent too: 2
    sel.select([row("A", 100), row("B", 5), row("C", 50)]); // back: the count resets
    expect(sel.select(withoutB).tracked).toContain("B");
    expect(sel.select(withoutB).tracked).toContain("B");
    const s = sel.select(withoutB); // third in a row
    expect(s.dropped).toEqual(["B"]);
    expect(s.added).toEqual(["C"]);
    expect(s.tracked).toEqual(["A", "C"]);
  });

  it("suspects always enter, beyond maxTypes, up to maxTypes + maxSuspectOverflow", () => {
    const sel = new TypeSelector(2, { maxSuspectOverflow: 2 });
    sel.select([row("A", 100), row("B", 90)]);
    const rows = [row("A", 100), row("B", 90), row("S1", 1), row("S2", 2), row("S3", 3), row("X", 80)];
    const growth = [
      { type: "S1", suspect: true, netGrowthBytes: 30 },
      { type: "S2", suspect: true, netGrowthBytes: 20 },
      { type: "S3", suspect: true, netGrowthBytes: 10 },
    ];
    const s = sel.select(rows, growth);
    expect(s.tracked.length).toBe(4);
    expect(s.tracked).toEqual(expect.arrayContaining(["A", "B", "S1", "S2"])); // largest growth first in
    expect(s.tracked).not.toContain("X"); // no free slot for ordinary entrants
    expect(s.tracked).not.toContain("S3"); // over the hard cap
    // Suspects stay sticky after they stop being suspects.
    expect(sel.select(rows).tracked).toEqual(expect.arrayContaining(["S1", "S2"]));
  });

  it("tracks nothing with maxTypes 0 except suspects, and validates its arguments", () => {
    const sel = new TypeSelector(0, { maxSuspectOverflow: 1 });
    const s = sel.select([row("A", 1), row("B", 2)], [{ type: "A", suspect: true }]);
    expect(s.tracked).toEqual(["A"]);
    expect(s.other).toEqual({ count: 1, bytes: 2 });
    expect(() => new TypeSelector(-1)).toThrow(RangeError);
    expect(() => new TypeSelector(1.5)).toThrow(RangeError);
  });

  it("accepts Map rows and resets", () => {
    const sel = new TypeSelector(1);
    expect(sel.select(new Map([["M", { count: 1, bytes: 9 }]])).tracked).toEqual(["M"]);
    expect(sel.trackedTypes).toEqual(["M"]);
    sel.reset();
    expect(sel.trackedTypes).toEqual([]);
  });
});

/** The selection rule written the plain way (whole sorts, candidates recomputed): what select() must equal. */
class ReferenceSelector {
  private readonly absent = new Map<string, number>();
  constructor(
    private readonly maxTypes: number,
    private readonly dropAfterAbsent: number,
    private readonly maxSuspectOverflow: number,
  ) {}
  select(latest: readonly TypeRow[], growth: GrowthInfo[]) {
    const rows = toTypeMap(latest);
    const present = (t: string) => {
      const r = rows.get(t);
      return r !== undefined && (r.count !== 0 || r.bytes !== 0);
    };
    const dropped: string[] = [];
    for (const [t, misses] of this.absent) {
      if (present(t)) this.absent.set(t, 0);
      else if (misses + 1 >= this.dropAfterAbsent) {
        this.absent.delete(t);
        dropped.push(t);
      } else this.absent.set(t, misses + 1);
    }
    const growthOf = new Map(growth.map((g) => [g.type, g]));
    const rate = (t: string) => {
      const g = growthOf.get(t);
      const v = g?.netGrowthBytes ?? g?.bytesSlopePerSecond ?? 0;
      return Number.isFinite(v) ? v : 0;
    };
    const bytesOf = (t: string) => rows.get(t)?.bytes ?? 0;
    const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const added: string[] = [];
    const admit = (t: string) => {
      this.absent.set(t, 0);
      added.push(t);
    };
    const candidates = () => [...rows.keys()].filter((t) => !this.absent.has(t) && present(t));
    const byGrowth = (a: string, b: string) => rate(b) - rate(a) || bytesOf(b) - bytesOf(a) || byName(a, b);
    for (const t of candidates()
      .filter((t) => growthOf.get(t)?.suspect === true)
      .sort(byGrowth))
      if (this.absent.size < this.maxTypes + this.maxSuspectOverflow) admit(t);
    let free = this.maxTypes - this.absent.size;
    if (free > 0) {
      for (const t of candidates()
        .filter((t) => rate(t) > 0)
        .sort(byGrowth)
        .slice(0, Math.floor(free / 2)))
        admit(t);
      free = this.maxTypes - this.absent.size;
      for (const t of candidates()
        .sort((a, b) => bytesOf(b) - bytesOf(a) || byName(a, b))
        .slice(0, Math.max(0, free)))
        admit(t);
    }
    const tracked = [...this.absent.keys()].sort((a, b) => bytesOf(b) - bytesOf(a) || byName(a, b));
    const other = { count: 0, bytes: 0 };
    for (const [t, r] of rows) {
      if (this.absent.has(t)) continue;
      other.count += r.count;
      other.bytes += r.bytes;
    }
    return { tracked, other, added, dropped };
  }
}

describe("TypeSelector against the plain rule", () => {
  it("selects exactly as whole sorts would, over many dumps of many types", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(
          fc.record({
            rows: fc.array(fc.record({ t: fc.integer({ min: 0, max: 400 }), count: fc.integer({ min: 0, max: 9 }), bytes: fc.integer({ min: 0, max: 30 }) }), {
              maxLength: 600,
            }),
            growth: fc.array(
              fc.record({
                t: fc.integer({ min: 0, max: 400 }),
                suspect: fc.option(fc.boolean(), { nil: undefined }),
                net: fc.option(fc.integer({ min: -5, max: 20 }), { nil: undefined }),
                slope: fc.option(fc.double({ min: -1, max: 1, noNaN: true }), { nil: undefined }),
              }),
              { maxLength: 200 },
            ),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (maxTypes, drop, overflow, dumps) => {
          const a = new TypeSelector(maxTypes, { dropAfterAbsent: drop, maxSuspectOverflow: overflow });
          const b = new ReferenceSelector(maxTypes, drop, overflow);
          for (const d of dumps) {
            const rows = d.rows.map((r) => row(`T${r.t}`, r.bytes * 100, r.count));
            const growth = d.growth.map((g) => ({ type: `T${g.t}`, suspect: g.suspect, netGrowthBytes: g.net, bytesSlopePerSecond: g.slope }));
            expect(a.select(rows, growth)).toEqual(b.select(rows, growth));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
