// What dumps of a target have cost it, learned: the worst growth per object with a margin, for the target's objects
// now; careful where nothing measured resembles the target (no dump yet, or twice the memory since).
import { describe, expect, it } from "vitest";
import { DumpCosts, LEARNED_COST_MARGIN, LEARNED_OBJECT_GROWTH } from "../../../src/heap/cost.js";

const MB = 1e6;
const reading = (growth: number, anonBefore: number, anonAfter = anonBefore) => ({ growth, exact: true, anonBefore, anonAfter });

describe("DumpCosts", () => {
  it("knows nothing before a dump was measured", () => {
    expect(new DumpCosts().estimate(100 * MB)).toBeUndefined();
  });

  it("estimates from the worst growth per object, the objects plus a quarter, and a margin", () => {
    const c = new DumpCosts();
    // The target: 930 k objects, 850 MB of growth; its allocator keeps 500 MB after the dump.
    c.record(reading(850 * MB, 60 * MB, 585 * MB), { totalObjects: 930_000, totalBytes: 40 * MB });
    // The next dump starts from the retained memory and costs less: the worst ratio stays.
    c.record(reading(340 * MB, 585 * MB, 590 * MB), { totalObjects: 930_000, totalBytes: 40 * MB });
    const e = c.estimate(590 * MB)!;
    expect(e.bytes).toBe(Math.ceil(930_000 * LEARNED_OBJECT_GROWTH * ((850 * MB) / 930_000) * LEARNED_COST_MARGIN));
    expect(e.basis).toMatch(/measured on 2 earlier dump\(s\) of this target: up to 914 bytes per object/);
  });

  it("adds the objects the memory gained since the last dump would hold, at that dump's average size", () => {
    const c = new DumpCosts();
    c.record(reading(100 * MB, 50 * MB, 80 * MB), { totalObjects: 1_000_000, totalBytes: 40 * MB });
    const flat = c.estimate(80 * MB)!.bytes;
    const grown = c.estimate(120 * MB)!.bytes; // 40 MB more: a million more objects of 40 bytes
    expect(grown).toBe(Math.ceil((1_000_000 * LEARNED_OBJECT_GROWTH + 1_000_000) * 100 * LEARNED_COST_MARGIN));
    expect(grown).toBeGreaterThan(flat);
  });

  it("does not extrapolate to a target that more than doubled its memory since: the source's own estimate applies", () => {
    const c = new DumpCosts();
    c.record(reading(30 * MB, 8 * MB, 40 * MB), { totalObjects: 40_000, totalBytes: 3 * MB });
    expect(c.estimate(80 * MB)).toBeDefined();
    expect(c.estimate(81 * MB)).toBeUndefined();
  });

  it("lets a failed dump raise what successful ones learned, never set it: its figure may stop short of its peak", () => {
    const c = new DumpCosts();
    c.record(reading(5 * MB, 50 * MB)); // a timeout: the snapshot went on in the target
    expect(c.estimate(50 * MB)).toBeUndefined();
    c.record(reading(100 * MB, 50 * MB), { totalObjects: 100_000, totalBytes: 5 * MB });
    const before = c.estimate(50 * MB)!.bytes;
    c.record(reading(300 * MB, 50 * MB)); // a failure that cost more than any success
    expect(c.estimate(50 * MB)!.bytes).toBe(before * 3);
  });

  it("per byte of anonymous memory when summaries have no object counts", () => {
    const c = new DumpCosts();
    c.record(reading(50 * MB, 100 * MB), { totalObjects: 0, totalBytes: 80 * MB });
    expect(c.estimate(120 * MB)!.bytes).toBe(Math.ceil(120 * MB * 0.5 * LEARNED_COST_MARGIN));
    expect(c.estimate(201 * MB)).toBeUndefined();
  });
});
