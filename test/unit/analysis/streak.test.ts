import { describe, expect, it } from "vitest";
import { increaseStreak } from "../../../src/analysis/streak.js";

describe("increaseStreak", () => {
  it.each([
    [[], 0, 0, 0],
    [[5], 0, 0, 0],
    [[1, 2, 3, 4], 3, 3, 0],
    [[4, 3, 2, 1], 0, 0, 3],
    [[5, 3, 4, 4, 6], 2, 3, 1], // equal step continues the run without counting
    [[1, 2, 3, 1, 2], 1, 1, 3], // the dip ends the earlier run
    [[7, 7, 7, 7], 0, 3, 0], // a plateau is not a rising streak
    [[1, 2, 2, 3, 3, 4], 3, 5, 0], // a staircase keeps its count
    [[1, 2, 3, 2.5], 0, 0, 3], // a final decrease: nothing
  ])("%j → %d increases over %d steps from %d", (values, increases, steps, start) => {
    expect(increaseStreak(values)).toEqual({ increases, steps, start });
  });

  it("treats changes within the tolerance as equal", () => {
    expect(increaseStreak([100, 110, 109.5, 120], 1)).toEqual({ increases: 2, steps: 3, start: 0 });
    expect(increaseStreak([100, 100.5, 101], 1)).toEqual({ increases: 0, steps: 2, start: 0 });
  });

  it("stops at non-finite values and does not overflow on extreme ones", () => {
    expect(increaseStreak([1, NaN, 2, 3])).toEqual({ increases: 1, steps: 1, start: 2 });
    expect(increaseStreak([-Number.MAX_VALUE, Number.MAX_VALUE])).toEqual({ increases: 1, steps: 1, start: 0 });
  });
});
