// Sorting in steps gives Array.prototype.sort's order (a total order), and yields on long inputs.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sortInSteps } from "../../../src/analysis/sort.js";

function drain<T>(gen: Generator<void, T, void>): { result: T; steps: number } {
  let steps = 0;
  for (;;) {
    const r = gen.next();
    if (r.done) return { result: r.value, steps };
    steps++;
  }
}

describe("sortInSteps", () => {
  it("sorts as Array.prototype.sort does, short or long", () => {
    const byKeyThenName = (a: { k: number; name: string }, b: { k: number; name: string }) => a.k - b.k || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 9000 }), (keys) => {
        const items = keys.map((k, i) => ({ k, name: `t${(i * 7919) % 10007}` }));
        const expected = [...items].sort(byKeyThenName);
        const { result } = drain(sortInSteps(items, byKeyThenName));
        expect(result).toBe(items); // in place
        expect(result).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it("yields while sorting a long array, not while sorting a short one", () => {
    expect(drain(sortInSteps([3, 1, 2], (a, b) => a - b)).steps).toBe(0);
    const long = Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 50_000);
    const { result, steps } = drain(sortInSteps(long, (a, b) => a - b));
    expect(steps).toBeGreaterThan(10);
    expect(result.every((v, i) => v === i)).toBe(true);
  });
});
