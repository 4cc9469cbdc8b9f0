import { describe, expect, it } from "vitest";
import { TypeSelector } from "../../../src/analysis/cardinality.js";
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
