// The column window gives exactly leakVerdicts' verdicts for the dumps kept (random histories: types that come,
// go and come back, dumps out of time order, equal times, bad numbers, load, estimated bytes, retention), spreads
// its work over steps, and stays bounded: rows are reused and given back, ghosts are capped.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leakVerdicts, type TypeVerdict, type VerdictDump, type VerdictOptions } from "../../../src/analysis/verdict.js";
import { TypeWindow } from "../../../src/analysis/window.js";
import type { TypeRow } from "../../../src/model/summary.js";

function drain<T>(gen: Generator<unknown, T, void>): { result: T; steps: number } {
  let steps = 0;
  for (;;) {
    const r = gen.next();
    if (r.done) return { result: r.value, steps };
    steps++;
  }
}

/**
 * The window's evidence, without what its history adds (state, suspect = leaking, their reason): what leakVerdicts
 * computes from the dumps alone. Sorted by type (the window puts the leaking first, leakVerdicts the proven).
 */
function evidence(vs: readonly TypeVerdict[]) {
  return vs
    .map(({ state: _s, stateDumps: _d, provenBytesPerSecond: _p, flatBytesPerSecond: _f, flatDumps: _m, warmup: _w, reason: _r, suspect: _x, ...rest }) => rest)
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** What the daemon did before: leakVerdicts over every kept dump (the newest `retention`, by time then arrival). */
function reference(all: VerdictDump[], retention: number, options: VerdictOptions) {
  const sorted = all.map((d, i) => ({ d, i })).sort((a, b) => a.d.time - b.d.time || a.i - b.i);
  return leakVerdicts(
    sorted.slice(-retention).map((x) => x.d),
    options,
  );
}

const TYPES = ["A", "B", "C", "D", "E", "(other)", 'q"uote'];

const dumpArb = fc.record({
  time: fc.integer({ min: 0, max: 40 }),
  requests: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
  bytesExact: fc.option(fc.boolean(), { nil: undefined }),
  rows: fc.array(
    fc.record({
      type: fc.constantFrom(...TYPES),
      count: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(Number.NaN)),
      bytes: fc.oneof(fc.integer({ min: 0, max: 50_000_000 }), fc.constant(Number.POSITIVE_INFINITY)),
    }),
    { maxLength: 8 },
  ),
});

describe("TypeWindow", () => {
  it("gives leakVerdicts' verdicts over the kept dumps, dump after dump", () => {
    fc.assert(
      fc.property(
        fc.array(dumpArb, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 40 }),
        (raw, window, retention) => {
          // Distinct times when dumps age out: the store drops the oldest by time, so equal times at its edge are
          // not a case it meets in order (equal times are covered below without retention).
          const dumps: VerdictDump[] = raw.map((d, i) => ({ ...d, time: 1e12 + d.time * 60_000 + i, types: d.rows as TypeRow[] }));
          const options: VerdictOptions = { window, minDumps: 2, minAbsoluteGrowthBytes: 1000, minAbsoluteGrowthObjects: 5 };
          const w = new TypeWindow(Math.min(window, retention));
          const seen: VerdictDump[] = [];
          for (const d of dumps) {
            seen.push(d);
            w.push(d, d.types);
            // As the store does: once it holds more than `retention`, the oldest go.
            const kept = seen.map((x, i) => ({ x, i })).sort((a, b) => a.x.time - b.x.time || a.i - b.i);
            if (seen.length > retention) w.forget(kept.slice(-retention)[0]!.x.time);
            expect(evidence(drain(w.verdicts(options, 2)).result.slice())).toEqual(evidence(reference(seen, retention, options)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("orders equal times by arrival, as leakVerdicts' stable sort does", () => {
    fc.assert(
      fc.property(fc.array(dumpArb, { minLength: 1, maxLength: 20 }), fc.integer({ min: 2, max: 6 }), (raw, window) => {
        const dumps: VerdictDump[] = raw.map((d) => ({ ...d, time: 1e12 + (d.time % 5) * 60_000, types: d.rows as TypeRow[] }));
        const options: VerdictOptions = { window, minDumps: 2, minAbsoluteGrowthBytes: 1000 };
        const w = new TypeWindow(window);
        for (const d of dumps) w.push(d, d.types);
        expect(evidence(drain(w.verdicts(options)).result.slice())).toEqual(evidence(leakVerdicts(dumps, options)));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a type seen before the window in the whole window, and forgets it once that dump is no longer kept", () => {
    const d = (i: number, rows: TypeRow[]) => ({ time: 1e12 + i * 60_000, types: rows });
    const dumps = [d(0, [{ type: "Back", count: 1, bytes: 1 }]), ...[1, 2, 3, 4].map((i) => d(i, [])), d(5, [{ type: "Back", count: 2, bytes: 2 }])];
    const w = new TypeWindow(3);
    for (const x of dumps) w.push(x, x.types);
    expect(
      drain(w.verdicts())
        .result.slice()
        .map((v) => [v.type, v.dumps]),
    ).toEqual([["Back", 3]]);
    expect(w.ghostCount).toBe(0); // back in the window
    w.forget(dumps[1]!.time);
    expect(
      drain(w.verdicts())
        .result.slice()
        .map((v) => [v.type, v.dumps]),
    ).toEqual([["Back", 1]]);
  });

  it("keeps verdicts as numbers and makes the objects when asked: pages, shared objects, lookups, growth", () => {
    const w = new TypeWindow(8);
    for (let i = 0; i < 8; i++) {
      w.push({ time: 1e12 + i * 60_000, requests: i < 4 ? i * 100 : 400 }, [
        { type: "Leak", count: 10 + i * 1000, bytes: (10 + i * 1000) * 1024 },
        { type: "Flat", count: 5, bytes: 500 },
        { type: "Objects", count: 100 + i * 50, bytes: 800 },
      ]);
    }
    const options = { minAbsoluteGrowthBytes: 1000, minAbsoluteGrowthObjects: 100 };
    const table = drain(w.verdicts(options)).result;
    const expected = leakVerdicts(
      w.dumps.map((d, i) => ({ ...d, types: [...w.rowsOf(i)].map(([type, s]) => ({ type, ...s })) })),
      options,
    );
    expect(table.length).toBe(3);
    expect(table.suspectCount).toBe(2);
    expect(evidence(table.slice())).toEqual(evidence(expected));
    expect(table.slice().map((v) => [v.type, v.state, v.suspect])).toEqual([
      ["Leak", "leaking", true],
      ["Objects", "leaking", true],
      ["Flat", "stable", false],
    ]);
    expect(expected.map((v) => v.suspectBy)).toEqual(["bytes", "count", undefined]);
    expect(JSON.stringify(evidence([table.at(1)!]))).toBe(JSON.stringify(evidence([expected[1]!]))); // the same fields in the same order
    expect(table.slice(1, 2)).toEqual([table.at(1)]);
    expect(table.at(3)).toBeUndefined();
    expect(table.shared(0)).toBe(table.shared(0));
    expect(Object.isFrozen(table.shared(0))).toBe(true);
    expect(table.all()[0]).toBe(table.shared(0));
    expect(table.indexOf("Flat")).toBe(2);
    expect(table.indexOf("nope")).toBe(-1);
    expect([...table.growth()].map((g) => [g.type, g.suspect])).toEqual([
      ["Leak", true],
      ["Objects", true],
      ["Flat", false],
    ]);
  });

  it("yields every `chunk` types, and serves the window's rows", () => {
    const w = new TypeWindow(4);
    for (let i = 0; i < 6; i++) {
      const rows = Array.from({ length: 10 }, (_, t) => ({ type: `T${t}`, count: i + t, bytes: (i + t) * 100 }));
      w.push({ id: `d${i}`, time: 1e12 + i * 60_000, requests: i * 10 }, rows);
    }
    const { result, steps } = drain(w.verdicts({}, 3));
    expect(result).toHaveLength(10);
    expect(steps).toBe(3);
    expect(w.dumps.map((x) => x.id)).toEqual(["d2", "d3", "d4", "d5"]);
    expect(w.stats("T3", 0)).toEqual({ count: 5, bytes: 500 });
    expect(w.stats("T3", 9)).toBeUndefined();
    expect(w.stats("nope", 0)).toBeUndefined();
    expect(w.rowsOf().get("T9")).toEqual({ count: 14, bytes: 1400 });
  });

  it("stays bounded when every dump has new type names: rows are reused, ghosts capped", () => {
    const w = new TypeWindow(3, { ghostLimit: 500 });
    for (let i = 0; i < 40; i++) {
      const rows = Array.from({ length: 1000 }, (_, t) => ({ type: `Gen${i}_${t}`, count: 1, bytes: 10 }));
      w.push({ time: 1e12 + i * 60_000 }, rows);
    }
    expect(w.typeCount).toBe(3000);
    expect(w.allocatedRows).toBeLessThanOrEqual(4096);
    expect(w.ghostCount).toBe(500);
  });

  it("gives memory back after a spike of types", () => {
    const w = new TypeWindow(2);
    w.push(
      { time: 1 },
      Array.from({ length: 20_000 }, (_, t) => ({ type: `Spike${t}`, count: 1, bytes: 1 })),
    );
    expect(w.allocatedRows).toBeGreaterThanOrEqual(20_000);
    for (let i = 2; i < 6; i++) w.push({ time: i }, [{ type: "Only", count: i, bytes: i }]);
    expect(w.typeCount).toBe(1);
    expect(w.allocatedRows).toBeLessThan(1000);
    expect(w.rowsOf().get("Only")).toEqual({ count: 5, bytes: 5 });
  });

  it("rejects a capacity below 1 and a non-finite time", () => {
    expect(() => new TypeWindow(0)).toThrow(RangeError);
    expect(() => new TypeWindow(2).push({ time: Number.NaN }, [])).toThrow(RangeError);
  });
});
