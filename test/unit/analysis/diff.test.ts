import { describe, expect, it } from "vitest";
import { diffDumps } from "../../../src/analysis/diff.js";

describe("diffDumps", () => {
  it("ranks by byte growth and includes new and gone types", () => {
    const a = [
      { type: "String", count: 100, bytes: 4000 },
      { type: "Session", count: 10, bytes: 1000 },
      { type: "Old", count: 5, bytes: 500 },
      { type: "Same", count: 1, bytes: 10 },
    ];
    const b = [
      { type: "String", count: 120, bytes: 4800 },
      { type: "Session", count: 50, bytes: 5000 },
      { type: "New", count: 3, bytes: 300 },
      { type: "Same", count: 1, bytes: 10 },
    ];
    expect(diffDumps(a, b)).toEqual([
      { type: "Session", countA: 10, countB: 50, bytesA: 1000, bytesB: 5000, deltaCount: 40, deltaBytes: 4000, ratio: 5, status: "both" },
      { type: "String", countA: 100, countB: 120, bytesA: 4000, bytesB: 4800, deltaCount: 20, deltaBytes: 800, ratio: 1.2, status: "both" },
      { type: "New", countA: 0, countB: 3, bytesA: 0, bytesB: 300, deltaCount: 3, deltaBytes: 300, ratio: null, status: "new" },
      { type: "Same", countA: 1, countB: 1, bytesA: 10, bytesB: 10, deltaCount: 0, deltaBytes: 0, ratio: 1, status: "both" },
      { type: "Old", countA: 5, countB: 0, bytesA: 500, bytesB: 0, deltaCount: -5, deltaBytes: -500, ratio: 0, status: "gone" },
    ]);
  });

  it("breaks byte ties by count growth, then by name; sums duplicate rows; accepts Maps", () => {
    const a = new Map([
      ["x", { count: 1, bytes: 10 }],
      ["y", { count: 1, bytes: 10 }],
    ]);
    const b = [
      { type: "x", count: 2, bytes: 15 },
      { type: "x", count: 2, bytes: 15 },
      { type: "y", count: 9, bytes: 30 },
      { type: "z", count: 3, bytes: 20 },
      { type: "w", count: 3, bytes: 20 },
    ];
    expect(diffDumps(a, b).map((r) => [r.type, r.deltaBytes, r.deltaCount])).toEqual([
      ["y", 20, 8],
      ["w", 20, 3],
      ["x", 20, 3],
      ["z", 20, 3],
    ]);
  });

  it("empty dumps give no rows", () => {
    expect(diffDumps([], [])).toEqual([]);
  });
});
