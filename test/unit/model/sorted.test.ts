import { describe, expect, it } from "vitest";
import { sortedIndexOf } from "../../../src/model/heap-graph.js";

describe("sortedIndexOf", () => {
  it("finds each value of an ascending array at its place, and nothing between or beyond them", () => {
    const a = Uint32Array.from([2, 5, 9, 40, 41, 1000]);
    for (let i = 0; i < a.length; i++) expect(sortedIndexOf(a, a[i]!)).toBe(i);
    for (const absent of [0, 3, 10, 42, 2000]) expect(sortedIndexOf(a, absent)).toBe(-1);
    expect(sortedIndexOf(new Float64Array(0), 1)).toBe(-1);
  });
});
